/**
 * The certificate page's pure parts, input → what the operator sees: escaping of untrusted text,
 * which links are links, the weekly expiry buckets, the query a widget event carries, and the
 * compact inventory entry the page index holds.
 */
import { describe, expect, it } from "vitest";
import type { InventoryRecordInput } from "../../../functions/core/certificates/inventory";
import { TIMELINE_WEEKS, timelineBuckets, timelineSvg } from "../../../functions/core/report/expiry-timeline";
import { attr, MAX_FIELD_CHARS, safeHref, text } from "../../../functions/core/report/html";
import {
  decodePageEntry,
  encodePageEntry,
  isPageEntry,
  PAGE_CERTIFICATES_PER_OBJECT,
  PAGE_ENTRY_MAX_BYTES,
  PAGE_FIELD_CHARS,
  PAGE_SHARDS,
  PageEntry,
  pageEntryOf,
  pageShardOf,
} from "../../../functions/core/report/page-entry";
import { parsePageQuery } from "../../../functions/core/report/page-model";

const NOW = new Date("2027-01-01T00:00:00Z");
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

describe("text and attributes", () => {
  it.each([
    ["CN=<script>alert(1)</script>", "CN=&lt;script&gt;alert(1)&lt;/script&gt;"],
    [`O="Acme" & 'Sons'`, "O=&quot;Acme&quot; &amp; &#39;Sons&#39;"],
    ["CN=a\u001b[31mred", "CN=a\\x1b[31mred"],
    ["CN=plain", "CN=plain"],
  ])("shows %j as %j", (input, html) => {
    // Act / Assess
    expect(text(input)).toBe(html);
    expect(attr(input)).toBe(`"${html}"`);
  });

  it("cuts a value longer than the page shows, with an ellipsis, before escaping", () => {
    // Act
    const shown = text("<".repeat(MAX_FIELD_CHARS + 5));

    // Assess
    expect(shown).toBe(`${"&lt;".repeat(MAX_FIELD_CHARS - 1)}…`);
    expect(text("x".repeat(MAX_FIELD_CHARS))).toBe("x".repeat(MAX_FIELD_CHARS));
    expect(text("abcdef", 4)).toBe("abc…");
  });

  it.each([
    ["https://runbooks.example.com/docs/alarms/1001.md", "https://runbooks.example.com/docs/alarms/1001.md"],
    ["http://wiki/x", "http://wiki/x"],
    ["docs/alarms/1001.md", "docs/alarms/1001.md"],
    ["javascript:alert(1)", undefined],
    ["data:text/html,<b>", undefined],
    ["//evil.example/x", undefined],
    ["docs/a b.md", undefined],
  ])("links %j as %j", (href, linked) => {
    // Act / Assess
    expect(safeHref(href)).toBe(linked);
  });
});

describe("the expiry timeline", () => {
  it("counts expired certificates first, then each week of the next 90 days, and none beyond", () => {
    // Prepare
    const notAfters = [
      at(-40),
      at(-0.01),
      at(0),
      at(6.99),
      at(7),
      at(29),
      at(89.9),
      at(90),
      at(90.01),
      at(400),
      "garbage",
    ];

    // Act
    const buckets = timelineBuckets(notAfters, NOW, 30);

    // Assess
    expect(buckets).toHaveLength(1 + TIMELINE_WEEKS);
    expect(buckets.map((b) => b.count)).toEqual([2, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(buckets.map((b) => b.kind)).toEqual([
      "expired",
      ...Array.from({ length: TIMELINE_WEEKS }, (_, week) => (week * 7 < 30 ? "warn" : "later")),
    ]);
    expect(buckets.slice(0, 3).map((b) => b.label)).toEqual(["expired", "2027-01-01", "2027-01-08"]);
  });

  it("draws a bar per bucket with its count, scaled to the largest, and a title saying the total", () => {
    // Act
    const svg = timelineSvg(timelineBuckets([at(-1), at(-2), at(1), at(100)], NOW, 30));

    // Assess
    expect(svg.match(/<rect /g)).toHaveLength(1 + TIMELINE_WEEKS);
    expect(svg).toContain("<title>Certificates expiring per week over the next 90 days: 3</title>");
    expect(svg).toContain("<title>already expired: 2</title>");
    expect(svg).toContain("<title>week from 2027-01-01: 1</title>");
    expect(svg).toContain('height="120.0" fill="#d13212"');
    expect(svg).toContain('height="60.0" fill="#f89256"');
    expect(svg).toContain('height="0.0" fill="#0073bb"');
  });
});

describe("the query a widget call carries", () => {
  it.each([
    [{}, { page: 1, pageSize: 50 }],
    [
      { page: "3", pageSize: "200" },
      { page: 3, pageSize: 200 },
    ],
    [
      { page: 0, pageSize: 7 },
      { page: 1, pageSize: 50 },
    ],
    [
      { severity: "major", host: "", service: null },
      { severity: "major", page: 1, pageSize: 50 },
    ],
    [
      { severity: "fatal", source: "s3://b/p/" },
      { source: "s3://b/p/", page: 1, pageSize: 50 },
    ],
    [
      { host: "h".repeat(4_097), service: "kafka" },
      { service: "kafka", page: 1, pageSize: 50 },
    ],
    [
      { unknown: "x", page: 2 },
      { page: 2, pageSize: 50 },
    ],
  ])("reads %j as %j", (input, query) => {
    // Act / Assess
    expect(parsePageQuery(input as Record<string, unknown>)).toEqual(query);
  });
});

function record(
  certificates: { subject: string; notAfter: string }[],
  extra: Partial<InventoryRecordInput> = {},
) {
  return {
    scope: "s3://certs/prod/",
    key: "prod/a.pem",
    parameters: { HostName: "node1" },
    certificates: certificates.map((c, index) => ({
      source: `s3://certs/prod/a.pem#${index}`,
      subject: c.subject,
      issuer: "CN=CA",
      notBefore: at(-400),
      notAfter: c.notAfter,
    })),
    ...extra,
  } as unknown as InventoryRecordInput;
}

describe("the page entry of an inventory record", () => {
  it("keeps scope, key, parameters and each certificate's names and dates, soonest expiry first", () => {
    // Act
    const entry = pageEntryOf(
      record([
        { subject: "CN=later", notAfter: at(50) },
        { subject: "CN=sooner", notAfter: at(5) },
      ]),
    );

    // Assess
    expect(entry).toEqual({
      scope: "s3://certs/prod/",
      key: "prod/a.pem",
      parameters: { HostName: "node1" },
      certificates: [
        {
          source: "s3://certs/prod/a.pem#1",
          subject: "CN=sooner",
          issuer: "CN=CA",
          notBefore: at(-400),
          notAfter: at(5),
        },
        {
          source: "s3://certs/prod/a.pem#0",
          subject: "CN=later",
          issuer: "CN=CA",
          notBefore: at(-400),
          notAfter: at(50),
        },
      ],
    });
    expect(decodePageEntry(encodePageEntry(entry))).toEqual(entry);
  });

  it("lists at most the soonest-expiring certificates of a bundle and counts the rest", () => {
    // Act
    const entry = pageEntryOf(
      record(
        Array.from({ length: PAGE_CERTIFICATES_PER_OBJECT + 7 }, (_, i) => ({
          subject: `CN=${i}`,
          notAfter: at(200 - i),
        })),
      ),
    );

    // Assess
    expect(entry.certificates).toHaveLength(PAGE_CERTIFICATES_PER_OBJECT);
    expect(entry.certificates[0]!.subject).toBe(`CN=${PAGE_CERTIFICATES_PER_OBJECT + 6}`);
    expect(entry.omitted).toBe(7);
  });

  it("cuts crafted fields and stays under its byte cap, listing fewer certificates rather than losing the entry", () => {
    // Prepare: control characters, which JSON writes as six bytes each
    const crafted = "\u0001".repeat(5_000);

    // Act
    const entry = pageEntryOf(
      record(
        Array.from({ length: PAGE_CERTIFICATES_PER_OBJECT }, () => ({ subject: crafted, notAfter: at(1) })),
        {
          key: crafted,
          parameters: { HostName: crafted },
        },
      ),
    );

    // Assess
    expect(Buffer.byteLength(encodePageEntry(entry))).toBeLessThanOrEqual(PAGE_ENTRY_MAX_BYTES);
    expect(entry.key).toHaveLength(PAGE_FIELD_CHARS);
    expect(entry.parameters!.HostName).toHaveLength(PAGE_FIELD_CHARS);
    expect(entry.certificates[0]!.subject).toHaveLength(PAGE_FIELD_CHARS);
    expect(entry.certificates.length).toBeGreaterThan(0);
    expect(entry.certificates.length + entry.omitted!).toBe(PAGE_CERTIFICATES_PER_OBJECT);
  });

  it.each([
    [42],
    ["{}"],
    ["not json"],
    [JSON.stringify({ scope: "s", key: "k", certificates: [{ source: "x" }] })],
  ])("reads %j back as no entry", (stored) => {
    // Act / Assess
    expect(decodePageEntry(stored)).toBeUndefined();
  });

  const good = {
    scope: "s3://certs/prod/",
    key: "prod/a.pem",
    parameters: { HostName: "node1" },
    certificates: [
      {
        source: "s3://certs/prod/a.pem#0",
        subject: "CN=a",
        issuer: "CN=CA",
        notBefore: "2026-01-01T00:00:00Z",
        notAfter: "2028-02-29T23:59:59.123Z",
      },
    ],
    omitted: 2,
  };
  const withCertificate = (change: Record<string, unknown>) => ({
    ...good,
    certificates: [{ ...good.certificates[0], ...change }],
  });
  it.each([
    ["a whole entry", good, true],
    ["no parameters, no certificates", { scope: "s", key: "k", certificates: [] }, true],
    ["an unknown field", { ...good, later: 1 }, true],
    ["a field at its length limit", { ...good, key: "k".repeat(PAGE_FIELD_CHARS * 4) }, true],
    ["a field over it", { ...good, key: "k".repeat(PAGE_FIELD_CHARS * 4 + 1) }, false],
    ["an array", [good], false],
    ["null", null, false],
    ["no scope", { ...good, scope: undefined }, false],
    ["a numeric key", { ...good, key: 7 }, false],
    ["parameters as an array", { ...good, parameters: ["x"] }, false],
    ["a parameter not text", { ...good, parameters: { HostName: 1 } }, false],
    ["a negative omitted count", { ...good, omitted: -1 }, false],
    ["a fractional omitted count", { ...good, omitted: 1.5 }, false],
    ["certificates not a list", { ...good, certificates: {} }, false],
    ["a certificate that is null", { ...good, certificates: [null] }, false],
    ["no source", withCertificate({ source: undefined }), false],
    ["a subject not text", withCertificate({ subject: 1 }), false],
    ["an issuer over the limit", withCertificate({ issuer: "i".repeat(PAGE_FIELD_CHARS * 4 + 1) }), false],
    ["an offset instead of Z", withCertificate({ notAfter: "2027-01-01T00:00:00+01:00" }), false],
    ["no seconds", withCertificate({ notAfter: "2027-01-01T00:00Z" }), false],
    ["30 February", withCertificate({ notAfter: "2027-02-30T00:00:00Z" }), false],
    ["29 February of a common year", withCertificate({ notBefore: "2027-02-29T00:00:00Z" }), false],
    ["29 February 1900", withCertificate({ notBefore: "1900-02-29T00:00:00Z" }), false],
    ["29 February 2000", withCertificate({ notBefore: "2000-02-29T00:00:00Z" }), true],
    ["31 April", withCertificate({ notAfter: "2027-04-31T00:00:00Z" }), false],
    ["hour 24", withCertificate({ notAfter: "2027-01-01T24:00:00Z" }), false],
    ["a date only", withCertificate({ notAfter: "2027-01-01" }), false],
  ])("reads %s as an entry: %j, as the schema does", (_, value, accepted) => {
    // Act / Assess: the widget's fast check and the schema that defines the entry agree
    expect(isPageEntry(value)).toBe(accepted);
    expect(PageEntry.safeParse(value).success).toBe(accepted);
    expect(decodePageEntry(JSON.stringify(value)) !== undefined).toBe(accepted);
  });

  it("spreads entries over every shard, the same shard for the same key", () => {
    // Act
    const shards = Array.from({ length: 2_000 }, (_, i) => pageShardOf(`object:["s3://b/p/","k${i}"]`));

    // Assess
    expect(new Set(shards)).toEqual(new Set(Array.from({ length: PAGE_SHARDS }, (_, i) => String(i))));
    for (let i = 0; i < PAGE_SHARDS; i++) {
      const count = shards.filter((s) => s === String(i)).length;
      expect(count).toBeGreaterThan(2_000 / PAGE_SHARDS / 2);
    }
    expect(pageShardOf('object:["s3://b/p/","k1"]')).toBe(shards[1]);
  });
});
