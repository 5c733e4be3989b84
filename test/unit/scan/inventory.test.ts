/**
 * The inventory's promise, at the level of one object: a record judged again later gives exactly
 * the findings a fresh read would give at that later time, and a record is refused whenever the
 * fresh read might say something else (changed bytes, another trust bundle, a CA that expired).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../../functions/core/certificates/evaluate";
import { readCertificates } from "../../../functions/core/certificates/reader";
import {
  InventoryRecord,
  isReusable,
  recordOf,
  rejudge,
  trustFingerprint,
} from "../../../functions/core/scan/inventory";
import { scanFile } from "../../../functions/core/scan/read-files";
import { chain, DAY, issue } from "../../support/pki";

const HOST = "api.example.com";
const FILE = "s3://bucket/prod/api.pem";

async function anchorsOf(pem: string) {
  const read = await readCertificates(new TextEncoder().encode(pem), "s3://bucket/trust/ca.pem");
  if (read.status !== "ok") throw new Error("test CA did not read");
  return read.certificates;
}

/** A fresh read of `pem` at `now`, as the scan does it, and the record it leaves. */
async function freshRead(pem: string, now: Date, anchors: Awaited<ReturnType<typeof anchorsOf>>) {
  const policy = { ...DEFAULT_POLICY, now, trustAnchors: anchors, expectedHosts: [HOST] };
  const outcome = await scanFile(
    { file: FILE, explicit: true, load: async () => ({ ok: true, bytes: new TextEncoder().encode(pem) }) },
    { policy },
  );
  if (!outcome.verdict) throw new Error("expected a verdict to keep");
  const record = InventoryRecord.parse(
    JSON.parse(
      JSON.stringify(
        recordOf(
          { key: "prod/api.pem", etag: '"e1"', size: pem.length },
          outcome.verdict,
          { scope: "s3://bucket/prod/", trust: trustFingerprint(anchors), anchors, skewSeconds: 300 },
          now,
        ),
      ),
    ),
  );
  return { findings: outcome.findings, record, policy };
}

describe("object inventory records", () => {
  it("judged again 20 days later, give the findings a fresh read gives then (expiry included)", async () => {
    // Prepare
    const pki = await chain(HOST);
    const anchors = await anchorsOf(pki.root.pem);
    const leaf = await issue({
      dnsNames: ["old.example.com"],
      issuer: pki.intermediate,
      notAfter: new Date(Date.now() + 40 * DAY),
    });
    const pem = `${leaf.pem}\n${pki.intermediate.pem}`;
    const { record, policy } = await freshRead(pem, new Date(), anchors);
    const later = new Date(Date.now() + 20 * DAY);

    // Act
    const fromRecord = rejudge(record, { ...policy, now: later });
    const fresh = await freshRead(pem, later, anchors);

    // Assess
    expect(fromRecord).toEqual(fresh.findings);
    expect(fromRecord.map((f) => f.check).sort()).toEqual(["expiring", "hostname-mismatch"]);
  });

  it("keep a broken block's finding and an untrusted chain, which need the bytes", async () => {
    // Prepare
    const pki = await chain(HOST);
    const stranger = await issue({ dnsNames: [HOST] });
    const pem = `${stranger.pem}\n-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n`;
    const anchors = await anchorsOf(pki.root.pem);

    // Act
    const { record, findings, policy } = await freshRead(pem, new Date(), anchors);

    // Assess
    expect(rejudge(record, policy)).toEqual(findings);
    expect(findings.map((f) => f.check).sort()).toEqual(["unreadable", "untrusted-chain"]);
  });

  it("are refused when the ETag or the trust bundle changed, or once a CA in the chain expired", async () => {
    // Prepare: an intermediate that expires in ten days
    const pki = await chain(HOST);
    const anchors = await anchorsOf(pki.root.pem);
    const shortCa = await issue({
      subject: "CN=Short CA",
      isCA: true,
      issuer: pki.root,
      notAfter: new Date(Date.now() + 10 * DAY),
    });
    const leaf = await issue({ dnsNames: [HOST], issuer: shortCa });
    const now = new Date();
    const { record } = await freshRead(`${leaf.pem}\n${shortCa.pem}`, now, anchors);
    const trust = trustFingerprint(anchors);
    const otherTrust = trustFingerprint(await anchorsOf((await chain(HOST)).root.pem));

    // Act / Assess
    expect(isReusable(record, { etag: '"e1"' }, trust, new Date(now.getTime() + 9 * DAY))).toBe(true);
    expect(isReusable(record, { etag: '"e2"' }, trust, now)).toBe(false);
    expect(isReusable(record, { etag: '"e1"' }, otherTrust, now)).toBe(false);
    expect(isReusable(record, { etag: '"e1"' }, trust, new Date(now.getTime() + 11 * DAY))).toBe(false);
    expect(isReusable(record, {}, trust, now)).toBe(false);
  });

  it("are not made for outcomes that depend on more than the bytes", async () => {
    // Prepare
    const policy = { ...DEFAULT_POLICY, now: new Date() };

    // Act
    const failedDownload = await scanFile(
      {
        file: FILE,
        explicit: true,
        load: async () => ({ ok: false, reason: "io-error", detail: "SlowDown (HTTP 503)" }),
      },
      { policy },
    );

    // Assess
    expect(failedDownload.verdict).toBeUndefined();
    expect(failedDownload.unexamined).toBe(true);
    expect(failedDownload.findings.map((f) => f.check)).toEqual(["unreadable"]);
  });
});
