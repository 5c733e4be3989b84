/**
 * What only the whole of a scan shows, as opposed to one file:
 *
 * - **One certificate, one finding.** The same certificate (same SHA-256) met in several files of
 *   one scan (a CA in the bundle, under its hash links and in Java's cacerts) is one fault. Where
 *   findings are only reported (`watchpost scan`), they become one, at its first place, listing the
 *   others. Where they are alarms (the deployed scan), each place keeps its own, grouped: its
 *   message names the other places. An alarm is about one object, raised while that object holds
 *   the fault and cleared when it no longer does (docs/architecture.md, the invariants); a merged
 *   alarm would clear on one object while another still held the certificate.
 * - **A clock behind blames the certificates.** When every certificate of a scan is not yet valid,
 *   the likelier cause is the clock of the machine running the scan, not the certificates: nobody
 *   issues a root, its intermediates and the leaves all in the future of a correct clock. The
 *   findings say so, and to check the clock before re-issuing anything; they still say the other
 *   cause (a host that issued them all while its clock ran ahead).
 */

import { formatDuration, formatInstant } from "../certificates/checks/finding";
import { quoted } from "../certificates/formats/read-error";
import { LINK_RULES } from "../certificates/path/rule-table";
import type { Finding } from "../contracts";

/** Places listed in a merged finding's message; the rest are counted. */
const LISTED_PLACES = 3;
/** Places kept in its details. */
const KEPT_PLACES = 50;

/**
 * Findings of one check about the same certificate (details.sha256) at several sources become the
 * finding at the first source, its message naming the other places and its details listing them.
 * Order is kept; findings without a certificate identity pass through.
 */
export function oneFindingPerCertificate(
  findings: readonly Finding[],
  how: "merge" | "group" = "merge",
): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const sha256 = finding.details?.sha256;
    if (typeof sha256 !== "string") continue;
    const key = `${finding.check}\u0000${sha256}`;
    const group = groups.get(key);
    if (group) group.push(finding);
    else groups.set(key, [finding]);
  }
  const merged: Finding[] = [];
  for (const finding of findings) {
    const sha256 = finding.details?.sha256;
    const group = typeof sha256 === "string" ? groups.get(`${finding.check}\u0000${sha256}`) : undefined;
    if (!group || group.length === 1) {
      merged.push(finding);
      continue;
    }
    if (how === "merge" && group[0] !== finding) continue;
    // Grouped alarms list the places in one order, whichever object was judged first.
    const otherFindings = group.filter((f) => f !== finding);
    if (how === "group") otherFindings.sort((a, b) => bySource(a.source, b.source));
    const others = otherFindings.map((f) => f.source);
    const listed = otherFindings.slice(0, LISTED_PLACES).map(placeOf).join(", ");
    const more = others.length - LISTED_PLACES;
    merged.push({
      ...finding,
      message: `${finding.message} The same certificate is also at ${listed}${more > 0 ? ` and ${more} more places` : ""}.`,
      details: {
        ...finding.details,
        places: (how === "merge"
          ? [finding.source, ...others]
          : [finding.source, ...others].sort(bySource)
        ).slice(0, KEPT_PLACES),
        placeCount: group.length,
      },
    });
  }
  return merged;
}

const bySource = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A place as a person finds it: in a keystore, by the entry's alias (`keytool -list`), not its index. */
function placeOf(finding: Finding): string {
  const alias = finding.details?.alias;
  return typeof alias === "string"
    ? `${finding.source} (keystore alias "${quoted(alias, 80)}")`
    : finding.source;
}

/** What the scan saw of certificates' start dates: how many, and the earliest notBefore. */
export interface StartDates {
  count: number;
  earliestNotBefore?: Date;
  latestNotBefore?: Date;
}

export function startDatesOf(certificates: readonly { notBefore: Date }[]): StartDates {
  const dates: StartDates = { count: 0 };
  addStartDates(dates, certificates);
  return dates;
}

export function addStartDates(into: StartDates, certificates: readonly { notBefore: Date }[]): void {
  for (const { notBefore } of certificates) {
    into.count += 1;
    if (into.earliestNotBefore === undefined || notBefore < into.earliestNotBefore)
      into.earliestNotBefore = notBefore;
    if (into.latestNotBefore === undefined || notBefore > into.latestNotBefore)
      into.latestNotBefore = notBefore;
  }
}

export function mergeStartDates(into: StartDates, from: StartDates): void {
  into.count += from.count;
  const { earliestNotBefore: earliest, latestNotBefore: latest } = from;
  if (earliest && (!into.earliestNotBefore || earliest < into.earliestNotBefore))
    into.earliestNotBefore = earliest;
  if (latest && (!into.latestNotBefore || latest > into.latestNotBefore)) into.latestNotBefore = latest;
}

/** The clock note, as the events and the host-clock alarm word it: the scanning machine's clock. */
export const SCANNING_CLOCK_BEHIND = "scanning-clock-behind";

/**
 * When every certificate of the scan (two or more) is not yet valid beyond the skew, its
 * `not-yet-valid` findings, and chain findings that blame an issuer not yet valid, say the scanning
 * clock is the likely cause instead of asking for a re-issue. Severities stay: clients on a machine
 * with that clock refuse the certificates just the same.
 */
export function blameScanningClock(
  findings: readonly Finding[],
  dates: StartDates,
  now: Date,
  skewSeconds: number,
): Finding[] {
  const earliest = dates.earliestNotBefore;
  if (dates.count < 2 || !earliest || earliest.getTime() - now.getTime() <= skewSeconds * 1000) {
    return [...findings];
  }
  const behind = formatDuration(earliest.getTime() - now.getTime());
  const farthest = dates.latestNotBefore
    ? formatDuration(dates.latestNotBefore.getTime() - now.getTime())
    : behind;
  const range = behind === farthest ? `by ${behind}` : `by ${behind} to ${farthest}`;
  const note =
    `Every certificate of this scan (${dates.count}) is not valid yet, ${range}: the clock of the machine ` +
    `running the scan, which reads ${formatInstant(now)}, is the likely cause, being at least ${behind} behind. ` +
    "Check it (`timedatectl status`, `chronyc tracking`) and scan again before re-issuing anything; only if that " +
    "clock is right were they all issued on a host whose clock ran ahead.";
  return findings.map((finding) => {
    if (finding.check === "not-yet-valid") {
      const notBefore = finding.details?.notBefore;
      const subject = finding.details?.subject;
      const what =
        typeof subject === "string" && subject !== ""
          ? `Certificate "${subject}"`
          : `Certificate ${finding.source}`;
      return {
        ...finding,
        message: `${what} is not valid until ${notBefore} by this machine's clock. ${note}`,
        details: {
          ...finding.details,
          likelyCause: SCANNING_CLOCK_BEHIND,
          clockBehindAtLeastSeconds: Math.floor((earliest.getTime() - now.getTime()) / 1000),
        },
      };
    }
    if (finding.check === "untrusted-chain" && finding.details?.reason === "issuer-not-yet-valid") {
      // The chain rule's own advice (re-issue the CA) is what the note says to hold off on.
      return {
        ...finding,
        message: `${finding.message.replace(` ${LINK_RULES.notYetValid.fix} `, " ")} ${note}`,
        details: { ...finding.details, likelyCause: SCANNING_CLOCK_BEHIND },
      };
    }
    return finding;
  });
}

/**
 * What a whole scan's findings say together: one finding per certificate (merged for a report,
 * grouped for alarms), the clock blamed when due.
 */
export function wholeScanFindings(
  findings: readonly Finding[],
  dates: StartDates,
  now: Date,
  skewSeconds: number,
  sameCertificate: "merge" | "group" = "merge",
): Finding[] {
  return blameScanningClock(oneFindingPerCertificate(findings, sameCertificate), dates, now, skewSeconds);
}
