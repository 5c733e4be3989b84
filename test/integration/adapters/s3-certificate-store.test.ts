import { CreateBucketCommand, PutObjectCommand, type S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type StoredObject, s3CertificateStore } from "../../../functions/adapters/s3-certificate-store";
import { ABSENT } from "../../../functions/core/alarms/evidence";
import { type LocalS3, startS3rver } from "../../support/emulators";

const BUCKET = "certificates";
const LIMIT = 4096;

let s3: LocalS3;
let client: S3Client;
/** Every command the store sent, in order, so a test can prove an object was never downloaded. */
let sent: { command: string; key?: string }[];

beforeAll(async () => {
  s3 = await startS3rver();
  client = s3.client;
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const objects: Record<string, Uint8Array> = {
    "prod/a.pem": new TextEncoder().encode("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    "prod/b.der": new Uint8Array([0x30, 0x82, 0x01, 0x0a]),
    "prod/exactly-at-limit.pem": new Uint8Array(LIMIT).fill(0x41),
    "prod/huge.p12": new Uint8Array(LIMIT + 1).fill(0x42),
    "prod/sub/": new Uint8Array(),
    "prod/sub/c.pem": new TextEncoder().encode("c"),
    "staging/d.pem": new TextEncoder().encode("d"),
    "other/e.pem": new TextEncoder().encode("e"),
  };
  for (const [Key, Body] of Object.entries(objects)) {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: context.commandName ?? "", key: (args.input as { Key?: string }).Key });
      return next(args);
    },
    { step: "initialize", name: "recordCommands" },
  );
});

beforeEach(() => {
  sent = [];
});

afterAll(async () => {
  await s3?.stop();
});

/**
 * The bucket as a role without the permission: GetObject and HeadObject (and, with `list`,
 * ListObjectsV2) answered with S3's own 403 AccessDenied, except for the `except` key.
 */
function refusingGets(options: { list?: boolean; except?: string } = {}): Pick<S3Client, "send"> {
  const refused = (command: string, key: string | undefined) =>
    command === "ListObjectsV2Command"
      ? options.list === true
      : (command === "GetObjectCommand" || command === "HeadObjectCommand") && key !== options.except;
  return {
    send: ((command: { constructor: { name: string }; input: { Key?: string } }) =>
      refused(command.constructor.name, command.input.Key)
        ? Promise.reject(
            new S3ServiceException({
              name: "AccessDenied",
              $fault: "client",
              message: "Access Denied",
              $metadata: { httpStatusCode: 403 },
            }),
          )
        : client.send(command as never)) as S3Client["send"],
  };
}

async function collect(iterable: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const items: StoredObject[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("listing", () => {
  it("lists every object under the prefixes, without folder markers or other prefixes", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const objects = await collect(store.list(["prod/", "staging/"]));

    // Assess
    expect(objects.map((o) => o.key)).toEqual([
      "prod/a.pem",
      "prod/b.der",
      "prod/exactly-at-limit.pem",
      "prod/huge.p12",
      "prod/sub/c.pem",
      "staging/d.pem",
    ]);
    expect(objects.find((o) => o.key === "prod/huge.p12")?.size).toBe(LIMIT + 1);
    expect(objects.every((o) => typeof o.etag === "string")).toBe(true);
  });

  // s3rver cannot truncate a listing on Node 20: its continuation tokens use DES, which OpenSSL 3
  // no longer offers. The paging loop is therefore driven by a stand-in that answers like S3.
  it("follows continuation tokens to the last page", async () => {
    // Prepare
    const requests: { Prefix?: string; ContinuationToken?: string }[] = [];
    const pages = [
      { Contents: [{ Key: "p/1.pem", Size: 1 }], IsTruncated: true, NextContinuationToken: "t1" },
      { Contents: [{ Key: "p/2.pem", Size: 2 }], IsTruncated: true, NextContinuationToken: "t2" },
      { Contents: [{ Key: "p/3.pem", Size: 3 }], IsTruncated: false },
    ];
    const pagingClient = {
      send: async (command: { input: { Prefix?: string; ContinuationToken?: string } }) => {
        requests.push({ Prefix: command.input.Prefix, ContinuationToken: command.input.ContinuationToken });
        return pages[requests.length - 1];
      },
    } as unknown as S3Client;
    const store = s3CertificateStore({ client: pagingClient, bucket: BUCKET, pageSize: 1 });

    // Act
    const objects = await collect(store.list(["p/"]));

    // Assess
    expect(objects.map((o) => o.key)).toEqual(["p/1.pem", "p/2.pem", "p/3.pem"]);
    expect(requests).toEqual([
      { Prefix: "p/", ContinuationToken: undefined },
      { Prefix: "p/", ContinuationToken: "t1" },
      { Prefix: "p/", ContinuationToken: "t2" },
    ]);
  });

  it("asks for the next page as soon as a page arrives, and throws a failed page only after handing out the keys before it", async () => {
    // Prepare: page 2 of 3 is refused, as S3 refuses a listing (its own exception class).
    const requests: (string | undefined)[] = [];
    const pages = [
      {
        Contents: [
          { Key: "p/1.pem", Size: 1 },
          { Key: "p/2.pem", Size: 1 },
        ],
        IsTruncated: true,
        NextContinuationToken: "t1",
      },
      new S3ServiceException({
        name: "AccessDenied",
        $fault: "client",
        message: "Access Denied",
        $metadata: { httpStatusCode: 403 },
      }),
    ];
    const pagingClient = {
      send: async (command: { input: { ContinuationToken?: string } }) => {
        requests.push(command.input.ContinuationToken);
        const page = pages[requests.length - 1];
        if (page instanceof Error) throw page;
        return page;
      },
    } as unknown as S3Client;
    const listing = s3CertificateStore({ client: pagingClient, bucket: BUCKET, pageSize: 2 }).list(["p/"]);

    // Act
    const first = await listing.next();
    const requestsAfterFirstKey = [...requests];
    const second = await listing.next();
    const third = await listing.next().then(
      () => "no failure",
      (error: Error) => error.name,
    );

    // Assess
    expect(first.value?.key).toBe("p/1.pem");
    expect(requestsAfterFirstKey).toEqual([undefined, "t1"]);
    expect(second.value?.key).toBe("p/2.pem");
    expect(third).toBe("AccessDenied");
    expect(requests).toEqual([undefined, "t1"]);
  });

  it("lists an object once when prefixes overlap", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const objects = await collect(store.list(["prod/", "prod/sub/"]));

    // Assess
    expect(objects.filter((o) => o.key === "prod/sub/c.pem")).toHaveLength(1);
  });
});

describe("loading within the size cap", () => {
  it("returns the bytes of an object up to and including the limit, with the ETag and the time S3 wrote what was read", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const small = await store.load("prod/b.der", { maxBytes: LIMIT });
    const atLimit = await store.load("prod/exactly-at-limit.pem", { maxBytes: LIMIT });

    // Assess
    expect(small).toEqual({
      ok: true,
      bytes: new Uint8Array([0x30, 0x82, 0x01, 0x0a]),
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      lastModified: expect.any(Date),
    });
    expect(atLimit.ok && atLimit.bytes.byteLength).toBe(LIMIT);
  });

  it("reports an oversized object as too-large from its listed size, without any request", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const result = await store.load("prod/huge.p12", { maxBytes: LIMIT, knownSize: LIMIT + 1 });

    // Assess
    expect(result).toMatchObject({ ok: false, reason: "too-large" });
    expect(sent).toEqual([]);
  });

  it("checks the size with HeadObject when it is not known, and never issues GetObject for an oversized object", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const result = await store.load("prod/huge.p12", { maxBytes: LIMIT });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      reason: "too-large",
      detail: expect.stringContaining("not downloaded"),
    });
    expect(sent.map((s) => s.command)).toEqual(["HeadObjectCommand"]);
  });

  it("stops reading when an object turns out larger than its stale listed size", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const result = await store.load("prod/huge.p12", { maxBytes: LIMIT, knownSize: 10 });

    // Assess
    expect(result).toMatchObject({ ok: false, reason: "too-large" });
  });

  it("reports a missing object as gone, an io-error naming the key for whoever needed it", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });

    // Act
    const result = await store.load("prod/gone.pem", { maxBytes: LIMIT });

    // Assess
    expect(result).toEqual({
      ok: false,
      reason: "io-error",
      detail: "prod/gone.pem: the object no longer exists",
      gone: true,
    });
  });

  it("tells a missing object from a refused one when S3 answers 403 for both, by asking the listing", async () => {
    // Prepare: without s3:ListBucket on the key itself, GetObject of a missing key is refused with
    // 403 AccessDenied, not 404 (Amazon S3 API Reference, GetObject, "Permissions")
    const refusing = refusingGets();
    const store = s3CertificateStore({ client: refusing, bucket: BUCKET });

    // Act
    const missing = await store.load("prod/gone.pem", { maxBytes: LIMIT });
    const present = await store.load("prod/a.pem", { maxBytes: LIMIT });

    // Assess
    expect(missing).toMatchObject({
      ok: false,
      gone: true,
      detail: "prod/gone.pem: the object no longer exists",
    });
    expect(present).toEqual({ ok: false, reason: "io-error", detail: "prod/a.pem: access denied" });
  });

  it("names the version S3 holds now: the ETag, ABSENT when missing, never a longer key's", async () => {
    // Prepare
    const store = s3CertificateStore({ client, bucket: BUCKET });
    const listed = await collect(store.list(["prod/"]));

    // Act
    const [present, missing, prefixOfAnother] = await Promise.all([
      store.currentVersion("prod/a.pem"),
      store.currentVersion("prod/gone.pem"),
      store.currentVersion("prod/sub/c"),
    ]);

    // Assess
    expect(present).toBe(listed.find((o) => o.key === "prod/a.pem")?.etag);
    expect([missing, prefixOfAnother]).toEqual([ABSENT, ABSENT]);
  });

  it("asks HeadObject when it may not list the key (a CA bundle outside the source prefixes), and says nothing when refused", async () => {
    // Prepare: a role that may not list, and may read only prod/a.pem
    const store = s3CertificateStore({
      client: refusingGets({ list: true, except: "prod/a.pem" }),
      bucket: BUCKET,
    });

    // Act
    const [readable, refused] = await Promise.all([
      store.currentVersion("prod/a.pem"),
      store.currentVersion("prod/b.der"),
    ]);

    // Assess
    expect(readable).toMatch(/^"[0-9a-f]{32}"$/);
    expect(refused).toBeUndefined();
  });

  it("names objects as s3:// URIs for reports", () => {
    // Assess
    expect(s3CertificateStore({ client, bucket: BUCKET }).uri("prod/a.pem")).toBe(
      "s3://certificates/prod/a.pem",
    );
  });
});
