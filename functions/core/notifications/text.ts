/**
 * Text helpers for notifications: cut long text at a character boundary with a visible marker,
 * and make a subject line that SNS accepts (ASCII, one line, under 100 characters).
 */

export const TRUNCATION_MARK = " [truncated]";

/** At most `max` UTF-16 units, never splitting a surrogate pair; a cut is marked so readers know. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - TRUNCATION_MARK.length);
  let cut = text.slice(0, room);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}${TRUNCATION_MARK}`;
}

/** Keeps the end, where a path's most telling part (the file name) is: "…/prod/api.pem". */
export function truncateStart(text: string, max: number): string {
  if (text.length <= max) return text;
  return `...${text.slice(text.length - Math.max(0, max - 3))}`;
}

/**
 * SNS subjects must be ASCII, start with a letter, digit or punctuation, hold no line breaks or
 * control characters and be under 100 characters.
 */
export const MAX_SUBJECT_LENGTH = 99;

export function toAsciiLine(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .replace(/ {2,}/g, " ")
    .trim();
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Text from a certificate or a file name must not become a link in a chat message: `[x](https://…)`
 * is broken up with a zero-width space, which renders as nothing.
 */
export function noMarkdownLinks(text: string): string {
  return text.replaceAll("](", "]\u200b(");
}

/**
 * Slack's mrkdwn reads `<…>` as links and mentions (`<!channel>` pages everyone); Slack asks for
 * `&`, `<` and `>` to be escaped as HTML entities in any text it should show as written.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
export function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
