/**
 * What the certificate page needs of one inventory entry, kept beside the entry's gzipped record as
 * a small plain attribute (`page`) that a sparse index of the scan-state table projects. The widget
 * reads that index only: a few hundred bytes a certificate instead of the whole record, and no
 * decompression. Written from the same record in the same item, so the two cannot disagree.
 *
 * Everything in it (subjects, issuers, keys, the object's metadata) is untrusted text: the page
 * escapes it when it renders (html.ts). Fields are cut here to what the page shows, so a crafted
 * subject cannot make an item, or the index, heavy.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import type { InventoryRecordInput } from "../scan/inventory";

/** Longest subject, issuer, key or parameter value kept (the page shows at most 300 characters). */
export const PAGE_FIELD_CHARS = 300;
/**
 * Certificates of one object listed on the page: a bundle of thousands keeps its soonest-expiring
 * ones and the count of the rest, so one object cannot fill the index.
 */
export const PAGE_CERTIFICATES_PER_OBJECT = 100;
/**
 * Largest `page` attribute, in bytes: with the record's own cap (350 KB, adapters/object-inventory.ts)
 * and the keys, the item stays under DynamoDB's 400 KB. Crafted subjects that JSON escapes grow
 * (control characters become six bytes each) lose listed certificates, never the item.
 */
export const PAGE_ENTRY_MAX_BYTES = 32_000;
/**
 * Partitions of the index: the widget reads them in parallel, one query each, so a large inventory
 * is read in a few round trips and no index partition takes the whole read.
 */
export const PAGE_SHARDS = 16;

const Text = z.string().max(PAGE_FIELD_CHARS * 4);

export const PageEntry = z.object({
  scope: Text,
  key: Text,
  parameters: z.record(z.string(), Text).optional(),
  certificates: z.array(
    z.object({
      source: z.string(),
      subject: Text,
      issuer: Text,
      notBefore: z.iso.datetime(),
      notAfter: z.iso.datetime(),
    }),
  ),
  /** Certificates of the object not listed (beyond PAGE_CERTIFICATES_PER_OBJECT). */
  omitted: z.number().int().nonnegative().optional(),
});
export type PageEntry = z.infer<typeof PageEntry>;

function cut(value: string): string {
  return value.length > PAGE_FIELD_CHARS ? value.slice(0, PAGE_FIELD_CHARS) : value;
}

function iso(value: string | Date): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** The page's view of a record about to be written. */
export function pageEntryOf(record: InventoryRecordInput): PageEntry {
  const sorted = [...record.certificates].sort(
    (a, b) => new Date(a.notAfter).getTime() - new Date(b.notAfter).getTime(),
  );
  const parameters = record.parameters
    ? Object.fromEntries(Object.entries(record.parameters).map(([name, value]) => [cut(name), cut(value)]))
    : undefined;
  const certificates = sorted.slice(0, PAGE_CERTIFICATES_PER_OBJECT).map((c) => ({
    // The source names the certificate in alarms; it is matched, so it is kept whole.
    source: c.source,
    subject: cut(c.subject),
    issuer: cut(c.issuer),
    notBefore: iso(c.notBefore),
    notAfter: iso(c.notAfter),
  }));
  const entryWith = (listed: number): PageEntry => ({
    scope: cut(record.scope),
    key: cut(record.key),
    ...(parameters ? { parameters } : {}),
    certificates: certificates.slice(0, listed),
    ...(sorted.length > listed ? { omitted: sorted.length - listed } : {}),
  });
  let listed = certificates.length;
  let entry = entryWith(listed);
  while (listed > 0 && Buffer.byteLength(encodePageEntry(entry)) > PAGE_ENTRY_MAX_BYTES) {
    listed = Math.floor(listed / 2);
    entry = entryWith(listed);
  }
  return entry;
}

export function encodePageEntry(entry: PageEntry): string {
  return JSON.stringify(entry);
}

/**
 * An entry read back; undefined when it does not parse (damage, a later layout). The widget reads
 * tens of thousands of these per refresh, so the check is written out by hand rather than run
 * through the schema: it accepts what `PageEntry` accepts (test/unit/report/page-parts.test.ts
 * holds the two to the same table), and returns the parsed object as it is, unknown fields and all.
 */
export function decodePageEntry(text: unknown): PageEntry | undefined {
  if (typeof text !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isPageEntry(value) ? value : undefined;
}

const MAX_TEXT = PAGE_FIELD_CHARS * 4;
/** What z.iso.datetime() accepts: UTC ("Z"), seconds required, their fraction optional. */
const ISO_INSTANT =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isText(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_TEXT;
}

function isInstant(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const parts = ISO_INSTANT.exec(value);
  if (!parts) return false;
  // No 30 February: a day the month does not have is no instant (the schema rejects it too).
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= MONTH_DAYS[month - 1]! + (leap ? 1 : 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The same shape as `PageEntry`, checked without allocating. */
export function isPageEntry(value: unknown): value is PageEntry {
  if (!isObject(value) || !isText(value.scope) || !isText(value.key)) return false;
  const { parameters, certificates, omitted } = value;
  if (parameters !== undefined) {
    if (!isObject(parameters)) return false;
    for (const name in parameters) if (!isText(parameters[name])) return false;
  }
  if (
    omitted !== undefined &&
    !(typeof omitted === "number" && Number.isSafeInteger(omitted) && omitted >= 0)
  )
    return false;
  if (!Array.isArray(certificates)) return false;
  for (const c of certificates as unknown[]) {
    if (
      !isObject(c) ||
      typeof c.source !== "string" ||
      !isText(c.subject) ||
      !isText(c.issuer) ||
      !isInstant(c.notBefore) ||
      !isInstant(c.notAfter)
    )
      return false;
  }
  return true;
}

/** The index partition an entry lands in: stable for its key, even across all of them. */
export function pageShardOf(partitionKey: string): string {
  return String(createHash("sha256").update(partitionKey).digest().readUInt32BE(0) % PAGE_SHARDS);
}
