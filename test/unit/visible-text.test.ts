/**
 * Names written by whoever made a certificate, an object key or a host's metadata, as watchpost shows
 * them in a terminal, a chat message or a page: every character that acts rather than prints, or prints
 * as nothing, is written as an escape a person can read; JSON keeps the exact text.
 */
import { describe, expect, it } from "vitest";
import { hasInvisible, terminalSafeJson, visibleLines, visibleText } from "../../functions/core/visible-text";

describe("visibleText", () => {
  it.each([
    ["plain text stays as it is", "api.prod.example.com", "api.prod.example.com"],
    ["letters beyond ASCII stay as they are", "zürich-ñandú.例え.jp", "zürich-ñandú.例え.jp"],
    ["ESC and BEL (a window title)", "a\u001b]0;x\u0007b", "a\\x1b]0;x\\x07b"],
    ["a carriage return", "good\rbad", "good\\x0dbad"],
    ["DEL and a C1 CSI", "a\u007fb\u009bc", "a\\x7fb\\x9bc"],
    ["right-to-left override", "gnp\u202e.exe", "gnp\\u202e.exe"],
    ["a zero-width space inside a host name", "exa\u200bmple.com", "exa\\u200bmple.com"],
    ["zero-width non-joiner and joiner", "a\u200cb\u200dc", "a\\u200cb\\u200dc"],
    ["a soft hyphen", "exam\u00adple.com", "exam\\xadple.com"],
    ["word joiner and invisible operators", "a\u2060b\u2064c", "a\\u2060b\\u2064c"],
    ["the Mongolian vowel separator", "a\u180eb", "a\\u180eb"],
    ["a variation selector", "a\ufe0fb", "a\\ufe0fb"],
    ["a byte-order mark", "\ufeffname", "\\ufeffname"],
    ["tag characters (astral, a surrogate pair each)", "a\u{e0001}\u{e0041}b", "a\\u{e0001}\\u{e0041}b"],
    ["an emoji, which prints", "cert-\u{1f512}.pem", "cert-\u{1f512}.pem"],
  ])("%s", (_case, raw, shown) => {
    // Act
    const visible = visibleText(raw);

    // Assess
    expect(visible).toBe(shown);
    expect(hasInvisible(raw)).toBe(raw !== shown);
    expect(hasInvisible(visible)).toBe(false);
  });

  it("keeps line feeds in text written on several lines, and escapes the rest", () => {
    expect(visibleLines("one\u200b\ntwo\r\n")).toBe("one\\u200b\ntwo\\x0d\n");
  });
});

describe("terminalSafeJson", () => {
  it("writes every invisible character as a JSON escape and parses back to the exact text", () => {
    // Prepare
    const value = { cn: "exa\u200bmple\u202e\u009b\u00ad\ufe0f\u{e0041}.com\u001b", n: 1 };

    // Act
    const json = terminalSafeJson(value);

    // Assess
    expect(json).toBe(
      '{\n  "cn": "exa\\u200bmple\\u202e\\u009b\\u00ad\\ufe0f\\udb40\\udc41.com\\u001b",\n  "n": 1\n}',
    );
    expect(JSON.parse(json)).toEqual(value);
  });
});
