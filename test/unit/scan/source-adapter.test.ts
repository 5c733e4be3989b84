/**
 * A source kind plugged into the pipeline through its adapter alone (core/scan/source-adapter.ts):
 * items that carry bytes are read like any file, items an API described are judged from their
 * facts, the adapter's own findings and the item's location (account, region, ARN) go with every
 * finding, unchanged items are judged again from the inventory without a fetch, and a listing that
 * breaks off never passes for a complete run.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { makeFinding } from "../../../functions/core/certificates/checks/finding";
import { factsOf } from "../../../functions/core/certificates/facts";
import { readCertificates } from "../../../functions/core/certificates/reader";
import { parseConfig } from "../../../functions/core/config";
import type { StoreScanContext } from "../../../functions/core/scan/ports";
import type { FetchedItem, ListedItem, SourceAdapter } from "../../../functions/core/scan/source-adapter";
import { scanAdapterSource } from "../../../functions/core/scan/source-scan";
import { memoryInventory, memoryStore } from "../../support/in-memory-ports";
import { storedChain } from "../../support/pki";

const HOST = "api.prod.example.com";
const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const arnOf = (id: string) => `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/${id}`;
const config = parseConfig({ certificates: { sources: [{ prefix: "certs/" }] } });

let healthy: string;
let expired: string;

beforeAll(async () => {
  ({ healthy, expired } = await storedChain(HOST));
});

interface Item {
  id: string;
  fetch: () => Promise<FetchedItem>;
  version?: string;
}

/** An in-memory source kind: one scope of `items`; `breaksAfter` makes its listing throw. */
function memorySource(items: Item[], options: { breaksAfter?: number } = {}) {
  const fetched: string[] = [];
  const adapter: SourceAdapter = {
    kind: "acm",
    scope: `acm://${ACCOUNT}/${REGION}`,
    parameters: { Account: ACCOUNT, Region: REGION },
    async *list() {
      for (const [at, item] of items.entries()) {
        if (options.breaksAfter !== undefined && at >= options.breaksAfter)
          throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        const listed: ListedItem = {
          key: arnOf(item.id),
          location: { account: ACCOUNT, region: REGION, arn: arnOf(item.id) },
          ...(item.version ? { version: item.version } : {}),
        };
        yield listed;
      }
    },
    uri: (item) => item.key,
    async fetch(item) {
      fetched.push(item.key);
      const found = items.find((i) => arnOf(i.id) === item.key);
      if (!found) return { ok: false, reason: "io-error", detail: "gone", gone: true };
      return found.fetch();
    },
    expectedHosts: () => [HOST],
  };
  return { adapter, fetched };
}

function contextAt(now: Date, inventory = memoryInventory().inventory): StoreScanContext {
  return {
    store: memoryStore().store,
    certificates: config.certificates,
    now,
    keystorePassword: async (name) => {
      throw new Error(`no secret ${name} here`);
    },
    fetchEndpoint: async () => ({ ok: false, reason: "unreachable", detail: "none" }),
    inventory,
  };
}

const bytes = (pem: string) => async (): Promise<FetchedItem> => ({ ok: true, bytes: Buffer.from(pem) });

async function describedFactsOf(pem: string) {
  const read = await readCertificates(Buffer.from(pem), "described", {});
  if (read.status !== "ok") throw new Error("test certificate unreadable");
  return read.certificates.filter((c) => !c.isCA).map(factsOf);
}

describe("a source kind plugged in through its adapter", () => {
  it("judges bytes like a file and described certificates from their facts, located in account, region and ARN", async () => {
    // Prepare: an item holding an expired certificate's PEM, and one an API described, whose
    // certificate expires in three days and which the source itself says will not renew
    const described = await describedFactsOf(healthy);
    const notAfter = described[0]!.notAfter;
    const now = new Date(notAfter.getTime() - 3 * 86_400_000);
    const renewal = makeFinding("expiring", arnOf("described"), "ACM will not renew this certificate", {});
    const { adapter } = memorySource([
      { id: "imported", fetch: bytes(expired) },
      {
        id: "described",
        fetch: async () => ({
          ok: true,
          facts: described.map((f) => ({ ...f, source: `${arnOf("described")}#0` })),
          findings: [renewal],
        }),
      },
    ]);

    // Act
    const scanned = await scanAdapterSource(adapter, contextAt(now));

    // Assess
    if (scanned.mode !== "inline") throw new Error("an adapter's scope is judged where it is listed");
    const { run } = scanned.check;
    expect(run.scope).toBe(`acm://${ACCOUNT}/${REGION}`);
    expect(run.complete).toBe(true);
    expect(run.parameters).toEqual({ Account: ACCOUNT, Region: REGION });
    const location = (id: string) => ({ Account: ACCOUNT, Region: REGION, Arn: arnOf(id) });
    expect(
      run.findings.map((f) => ({
        check: f.check,
        severity: f.severity,
        source: f.source,
        parameters: f.parameters,
      })),
    ).toEqual(
      expect.arrayContaining([
        {
          check: "expired",
          severity: "critical",
          source: `${arnOf("imported")}#0`,
          parameters: location("imported"),
        },
        {
          check: "expiring",
          severity: "major",
          source: `${arnOf("described")}#0`,
          parameters: location("described"),
        },
        {
          check: "expiring",
          severity: "minor",
          source: arnOf("described"),
          parameters: location("described"),
        },
      ]),
    );
    expect(run.findings.find((f) => f.source === arnOf("described"))?.message).toBe(
      "ACM will not renew this certificate",
    );
    // The items, and the scope itself: it was listed to its end, so a refusal raised about it may clear.
    expect(run.examinedSources).toEqual([
      arnOf("imported"),
      arnOf("described"),
      `acm://${ACCOUNT}/${REGION}`,
    ]);
    expect(scanned.check.objects).toEqual({ downloaded: 2, reused: 0 });
  });

  it("judges an unchanged item again from the inventory, without fetching it", async () => {
    // Prepare: one scan has recorded the item at version 7
    const inventory = memoryInventory().inventory;
    const first = memorySource([{ id: "imported", version: "7", fetch: bytes(expired) }]);
    await scanAdapterSource(first.adapter, contextAt(new Date(), inventory));
    const again = memorySource([{ id: "imported", version: "7", fetch: bytes(expired) }]);

    // Act
    const scanned = await scanAdapterSource(again.adapter, contextAt(new Date(), inventory));

    // Assess
    if (scanned.mode !== "inline") throw new Error("an adapter's scope is judged where it is listed");
    expect(again.fetched).toEqual([]);
    expect(scanned.check.objects).toEqual({ downloaded: 0, reused: 1 });
    expect(scanned.check.run.findings.map((f) => [f.check, f.source])).toEqual([
      ["expired", `${arnOf("imported")}#0`],
    ]);
    expect(scanned.check.run.versions?.seen.get(arnOf("imported"))).toBe("7");
  });

  it("judges what a listing that broke off listed, and says the run is partial", async () => {
    // Prepare: the listing is throttled after its first item
    const { adapter } = memorySource(
      [
        { id: "first", fetch: bytes(expired) },
        { id: "second", fetch: bytes(expired) },
      ],
      { breaksAfter: 1 },
    );

    // Act
    const scanned = await scanAdapterSource(adapter, contextAt(new Date()));

    // Assess
    if (scanned.mode !== "inline") throw new Error("an adapter's scope is judged where it is listed");
    expect(scanned.check.run.complete).toBe(false);
    expect(scanned.check.run.examinedSources).toEqual([arnOf("first")]);
    expect(scanned.check.error).toBe(
      `listing acm://${ACCOUNT}/${REGION} broke off: ThrottlingException: Rate exceeded`,
    );
    expect(scanned.check.run.versions?.listed).toBeUndefined();
  });
});
