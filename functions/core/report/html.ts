/**
 * Text into HTML. Everything on the certificate page that a certificate, an uploader or a host
 * chose (subjects, issuers, keys, host names, paths, messages) goes through `text()` or `attr()`;
 * markup is only ever written by the renderer itself. Control characters are made visible first
 * (visible-text.ts), so a subject cannot hide part of itself, and very long values are cut so one
 * crafted field cannot fill the widget's response.
 */
import { visibleText } from "../visible-text";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Longest untrusted value shown, in characters; the rest is replaced by an ellipsis. */
export const MAX_FIELD_CHARS = 300;

/** Untrusted text as HTML text content (also safe inside a quoted attribute). */
export function text(value: string, max = MAX_FIELD_CHARS): string {
  const visible = visibleText(value);
  const cut = visible.length > max ? `${visible.slice(0, max - 1)}…` : visible;
  return cut.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** Untrusted text as a double-quoted attribute value, quotes included. */
export function attr(value: string, max = MAX_FIELD_CHARS): string {
  return `"${text(value, max)}"`;
}

/**
 * A link target: only http(s) URLs and relative paths (a runbook under docs/), never `javascript:`
 * or `data:`; anything else is not linked.
 */
export function safeHref(value: string): string | undefined {
  if (/^https?:\/\//i.test(value)) return value;
  if (/^[A-Za-z0-9._~/-]+$/.test(value) && !value.startsWith("//")) return value;
  return undefined;
}
