/**
 * Text from certificates and file names, made safe to show: every character that a terminal or a
 * chat client would act on rather than print is written as an escape that can be read instead.
 * A subject `CN=x\x1b]0;pwned\x07` must not set a window title, `\r` must not return to the start
 * of the line and overwrite what was printed, U+202E must not reverse what follows.
 *
 * Covered: C0 controls and DEL (ESC, BEL, CR, LF, TAB…), C1 controls (U+0080–U+009F: CSI, OSC, NEL…
 * which some terminals obey on their own), bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069), the line and paragraph separators U+2028/U+2029, and U+FEFF.
 * Also the characters that print as nothing, so that `exa\u200bmple.com` cannot pass for
 * `example.com` nor two hosts that differ only by one look like one: the soft hyphen U+00AD,
 * U+180E, the zero-width space, non-joiner and joiner U+200B–U+200D, U+2060–U+2064, the variation
 * selectors U+FE00–U+FE0F and the tag characters U+E0000–U+E007F.
 */

// Built from code points so the source holds no control character itself.
const RANGES: readonly [number, number][] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x061c, 0x061c],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x2028, 0x2029],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x2069],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xe0000, 0xe007f],
];
const hex = (code: number) => `\\u{${code.toString(16)}}`;
const characterClass = (ranges: readonly [number, number][]) =>
  new RegExp(`[${ranges.map(([from, to]) => `${hex(from)}-${hex(to)}`).join("")}]`, "gu");
const INVISIBLE = characterClass(RANGES);

function escapeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\u{${code.toString(16)}}`;
}

/** The text with every control character written as `\xNN` or `\uNNNN`. */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, escapeCharacter);
}

/**
 * For messages written on several lines (node:util parseArgs explains some mistakes in three): line
 * feeds are kept, every other control character is escaped — a carriage return included, which
 * would return to the start of the line and let what follows overwrite it.
 */
export function visibleLines(text: string): string {
  return text.split("\n").map(visibleText).join("\n");
}

export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}

// What JSON.stringify leaves raw but a terminal acts on or shows as nothing: everything above but
// the C0 controls, which JSON escapes by itself inside strings (and its own line breaks are C0).
const JSON_RAW = characterClass(RANGES.filter(([from]) => from > 0x1f));

/** JSON's own escapes: one `\uNNNN` per UTF-16 unit, a surrogate pair for a tag character. */
function jsonEscape(char: string): string {
  return Array.from(
    { length: char.length },
    (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`,
  ).join("");
}

/**
 * JSON text that parses to exactly `value`, with every character a terminal would act on written
 * as a `\uNNNN` escape (JSON.stringify already escapes C0 controls, not C1 or bidi controls).
 */
export function terminalSafeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(JSON_RAW, jsonEscape);
}
