/**
 * Reading the certificate page's HTML back as an operator sees it: the cells of a table's body rows
 * as text (tags removed, entities decoded). The renderer writes well-formed, unnested tables, so a
 * few regular expressions read them; the Chromium test reads the same page through a real parser.
 */

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};

export function textOf(html: string): string {
  return html
    .replace(/<br>/g, " | ")
    .replace(/<[^>]*>/g, "")
    .replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!)
    .trim();
}

/** The body rows of `<table class="NAME">`, each as its cells' text. */
export function tableRows(html: string, name: string): string[][] {
  const table = new RegExp(`<table class="${name}">.*?<tbody>(.*?)</tbody>`, "s").exec(html);
  if (!table) return [];
  return [...table[1]!.matchAll(/<tr>(.*?)<\/tr>/gs)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((cell) => textOf(cell[1]!)),
  );
}

/** The page's summary line as text. */
export function summaryOf(html: string): string {
  return textOf(/<p class="summary">(.*?)<\/p>/s.exec(html)?.[1] ?? "");
}

/** The JSON parameters of each `<cwdb-action action="call">` on the page, in order. */
export function callActions(html: string): unknown[] {
  return [...html.matchAll(/<cwdb-action action="call"[^>]*>(.*?)<\/cwdb-action>/gs)].map((m) =>
    JSON.parse(m[1]!),
  );
}

/** The values a filter field's options post back (entities decoded, as a browser reads them). */
export function optionValues(html: string, field: string, only: { selected?: boolean } = {}): string[] {
  const select = new RegExp(`<select name="${field}">(.*?)</select>`, "s").exec(html);
  if (!select) return [];
  const option = only.selected ? /<option value="([^"]*)" selected>/g : /<option value="([^"]*)"/g;
  return [...select[1]!.matchAll(option)].map((m) =>
    m[1]!.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!),
  );
}
