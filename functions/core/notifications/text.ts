/**
 * Text helpers for notifications: cut long text at a character boundary with a visible marker,
 * and make a subject line that SNS accepts (ASCII, one line, under 100 characters).
 */

/** The finding's message in any notification (the email, and the detail every destination gets). */
export const MAX_FINDING_MESSAGE_CHARS = 8_000;
/** One alarm parameter's value: an S3 key has at most 1,024 bytes, and a step that pastes it must get all of it. */
export const MAX_PARAMETER_VALUE_CHARS = 1_100;

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

/**
 * Text a chat client would act on, in what a certificate, an uploader or a host wrote, made inert
 * while staying readable. Applied to everything but our own links (runbook, console):
 *
 * - Links: `[text](url)` is broken up (noMarkdownLinks); a bare `http://`, `https://` or `www.`
 *   gets a zero-width space after its scheme or `www`, so no client turns it into a link (Chatbot
 *   passes its text on to Slack, which auto-links unless told otherwise).
 * - Mentions: `@here`, `@channel` and `@everyone` get a zero-width space after the `@`.
 * - Formatting: `*` and `~` become the look-alikes ∗ (U+2217) and ∼ (U+223C), and an `_` that could
 *   open or close italics (one beside a space or punctuation, not inside a word like `my_cert`)
 *   becomes ˍ (U+02CD). Slack offers no escape for these (only `&`, `<` and `>`,
 *   https://api.slack.com/reference/surfaces/formatting#escaping); Adaptive Cards neither.
 *
 * Slack also gets `&`, `<` and `>` as entities (`<!here>`, `<https://x|label>` and `<@U…>` are
 * markup there), and text between backticks is left as written but for those: Slack formats and
 * links nothing inside code, and the commands of the steps must paste as they are. Adaptive Cards
 * have no code spans (https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features,
 * "Markdown (Commonmark subset)"), so Teams text is neutralised throughout.
 */
export function slackText(text: string): string {
  return slackEscape(text)
    .split("`")
    .map((part, i) => (i % 2 === 1 ? part : inert(part)))
    .join("`");
}

export function teamsText(text: string): string {
  return inert(text);
}

const ZWSP = "\u200b";

/**
 * A bare `http://`, `https://` or `www.` with a zero-width space after its scheme or `www`: mail
 * and chat clients then make no link of a URL a certificate or an uploader wrote.
 */
export function inertLinks(text: string): string {
  return text.replace(/\b(https?:)(\/\/)/gi, `$1${ZWSP}$2`).replace(/\b(www)\./gi, `$1${ZWSP}.`);
}

function inert(text: string): string {
  return inertLinks(noMarkdownLinks(text))
    .replace(/@(here|channel|everyone)\b/gi, `@${ZWSP}$1`)
    .replaceAll("*", "\u2217")
    .replaceAll("~", "\u223c")
    .replace(/_/g, (underscore, at: number, whole: string) =>
      /[\p{L}\p{N}]/u.test(whole[at - 1] ?? "") && /[\p{L}\p{N}]/u.test(whole[at + 1] ?? "")
        ? underscore
        : "\u02cd",
    );
}
