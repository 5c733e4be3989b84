/**
 * Certificate validity times read from their exact text, not from asn1js's conversion, which
 * rolls invalid dates over (month 13 becomes January of the next year), reads a UTCTime without
 * seconds or with an offset as 1899, and reads a GeneralizedTime without a zone in the host's
 * local time zone.
 *
 * RFC 5280 §4.1.2.5: UTCTime `YYMMDDHHMMSSZ`, where YY >= 50 means 19YY and YY < 50 means 20YY;
 * GeneralizedTime `YYYYMMDDHHMMSSZ`. Older BER writers also leave out the seconds or give an
 * offset (`+0100`) instead of `Z`, and some add fractions of a second; those times are
 * unambiguous and read the way OpenSSL reads them. A time without any zone is local time
 * somewhere, so it is refused, as is anything that is not a calendar date and time.
 */

import { quoted } from "./read-error";

export type TimeTag = "UTCTime" | "GeneralizedTime";

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{4})?$/;

/** The instant a validity time names, or the reason it names none. */
export function parseValidityTime(tag: TimeTag, text: string): Date | { error: string } {
  const shown = `${tag} "${quoted(text)}"`;
  const match = (tag === "UTCTime" ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (!match) {
    return {
      error: `${shown} is not a time (expected ${tag === "UTCTime" ? "YYMMDDHHMMSSZ" : "YYYYMMDDHHMMSSZ"})`,
    };
  }
  const [, yearText = "", month = "", day = "", hour = "", minute = "", second = "00"] = match;
  const fraction = tag === "GeneralizedTime" ? (match[7] ?? "") : "";
  const zone = tag === "GeneralizedTime" ? match[8] : match[7];
  if (!zone) return { error: `${shown} gives no time zone (local time); RFC 5280 requires UTC ("Z")` };

  const shortYear = Number(yearText);
  const year = tag === "UTCTime" ? (shortYear >= 50 ? 1900 + shortYear : 2000 + shortYear) : shortYear;
  const fields = { month: Number(month), day: Number(day), hour: Number(hour), minute: Number(minute) };
  const seconds = Number(second);
  if (
    fields.month < 1 ||
    fields.month > 12 ||
    fields.day < 1 ||
    fields.day > daysInMonth(year, fields.month) ||
    fields.hour > 23 ||
    fields.minute > 59 ||
    seconds > 59
  ) {
    return { error: `${shown} is not a valid date and time` };
  }
  const offsetMinutes = zone === "Z" ? 0 : offsetOf(zone);
  if (offsetMinutes === undefined) return { error: `${shown} has an invalid time zone offset` };

  const date = new Date(0);
  // setUTCFullYear keeps years 0-99 as they are (Date.UTC would move them to 1900-1999).
  date.setUTCFullYear(year, fields.month - 1, fields.day);
  date.setUTCHours(
    fields.hour,
    fields.minute - offsetMinutes,
    seconds,
    Number(`0.${fraction || "0"}`) * 1000,
  );
  return date;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month of the proleptic Gregorian calendar, as Date counts them (without making one). */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/** Minutes east of UTC for "+HHMM" / "-HHMM". */
function offsetOf(zone: string): number | undefined {
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
}
