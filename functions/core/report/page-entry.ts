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
import type { InventoryRecordInput } from "../certificates/inventory";

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

/** An entry read back; undefined when it does not parse (damage, a later layout). */
export function decodePageEntry(text: unknown): PageEntry | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const parsed = PageEntry.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The index partition an entry lands in: stable for its key, even across all of them. */
export function pageShardOf(partitionKey: string): string {
  return String(createHash("sha256").update(partitionKey).digest().readUInt32BE(0) % PAGE_SHARDS);
}
