/**
 * Text from certificates and file names, made safe to show: every character that a terminal or a
 * chat client would act on rather than print is written as an escape that can be read instead.
 * A subject `CN=x\x1b]0;pwned\x07` must not set a window title, `\r` must not return to the start
 * of the line and overwrite what was printed, U+202E must not reverse what follows.
 *
 * Covered: C0 controls and DEL (ESC, BEL, CR, LF, TAB…), C1 controls (U+0080–U+009F: CSI, OSC, NEL…
 * which some terminals obey on their own), bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069), the line and paragraph separators U+2028/U+2029, and U+FEFF.
 */

// Built from code points so the source holds no control character itself.
const RANGES: readonly [number, number][] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x061c, 0x061c],
  [0x200e, 0x200f],
  [0x2028, 0x2029],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
  [0xfeff, 0xfeff],
];
const hex = (code: number) => `\\u${code.toString(16).padStart(4, "0")}`;
const INVISIBLE = new RegExp(`[${RANGES.map(([from, to]) => `${hex(from)}-${hex(to)}`).join("")}]`, "g");

function escapeCharacter(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
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

// What JSON.stringify leaves raw but a terminal acts on: DEL, C1 controls, bidi and line separators.
const JSON_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON text that parses to exactly `value`, with every character a terminal would act on written
 * as a `\uNNNN` escape (JSON.stringify already escapes C0 controls, not C1 or bidi controls).
 */
export function terminalSafeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_RAW,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
