/**
 * Fuzzing the reader with fast-check: random bytes, text full of PEM markers, real DER/PEM/PKCS#7/
 * PKCS#12 and hostile certificates with bits flipped, bytes cut, inserted or spliced, and length
 * fields rewritten (too large, too small, indefinite, non-minimal, absurd). The seed and the number
 * of runs are fixed so CI replays exactly the same inputs; the whole file takes a few seconds.
 * To explore further, change SEED locally; pin anything found as a case in test/unit/certificates/hostile-*.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type ReadResult, readCertificates } from "../../../functions/core/certificates/reader";
import { UNREADABLE_REASONS } from "../../../functions/core/contracts";
import {
  attribute,
  cn,
  craftCertificate,
  elementHeaders,
  endEntityConstraints,
  explicitCurveSpki,
  generalizedTime,
  lengthBytes,
  OIDS,
  STRING_TAG,
  sanExtension,
  type TimeSpec,
  twosComplement,
  utcTime,
  withIndefiniteOuterLength,
  withLengthOctets,
} from "../../support/hostile-corpus";
import { chain, pemOf, pkcs7Der, pkcs12 } from "../../support/pki";

const SEED = 0x5eed_2026;
const run = (numRuns: number) => ({ seed: SEED, numRuns });

const PASSWORD = "property";
let samples: Uint8Array[] = [];
/** The DER samples, whose length fields the structural mutations rewrite. */
let derSamples: Uint8Array[] = [];
/** Distinct certificates for the bundle property. */
let pool: Uint8Array[] = [];

const text = (value: string) => new Uint8Array(Buffer.from(value));

beforeAll(async () => {
  const { root, intermediate, leaf } = await chain("fuzz.cluster.local");
  const hostile = [
    craftCertificate({
      notBefore: generalizedTime("19991231235959Z"),
      notAfter: generalizedTime("20500101000000Z"),
      serial: Uint8Array.of(0xff, 0x01),
      subject: [attribute(OIDS.commonName, STRING_TAG.bmp, Buffer.from("Müller", "utf16le").swap16())],
    }),
    craftCertificate({ spki: explicitCurveSpki(), notAfter: utcTime("491231235959Z") }),
    craftCertificate({
      extensions: [
        endEntityConstraints(),
        sanExtension(Array.from({ length: 40 }, (_, i) => `n${i}.fuzz.example`)),
      ],
    }),
  ];
  derSamples = [leaf.der, root.der, pkcs7Der([leaf.der, root.der]), ...hostile];
  samples = [
    ...derSamples,
    text(leaf.pem),
    text([leaf.pem, intermediate.pem, root.pem].join("\r\n")),
    text(pemOf("PKCS7", pkcs7Der([leaf.der]))),
    text(hostile.map((der) => pemOf("CERTIFICATE", der)).join("subject=CN = x\n")),
    withIndefiniteOuterLength(hostile[0]!),
    await pkcs12([leaf.der, intermediate.der], { password: PASSWORD }),
    await pkcs12([leaf.der], { password: PASSWORD, encryption: "3des", iterations: 64 }),
    await pkcs12([root.der], { password: PASSWORD, encryption: "none", mac: false }),
  ];
  pool = [leaf.der, intermediate.der, root.der, ...hostile];
});

/** Every outcome names what happened to the file in the contract's terms, in one readable line. */
function expectAccountedFor(result: ReadResult): void {
  const expectDetail = (detail: string) => {
    expect(detail.length).toBeGreaterThan(0);
    expect(detail).not.toContain(PASSWORD);
    expect(detail).not.toMatch(/[\r\n]/);
    // OpenSSL's internals ("PEM routines::no start line") tell an operator nothing.
    expect(detail).not.toMatch(/routines::/);
  };
  switch (result.status) {
    case "ok":
      expect(result.certificates.length).toBeGreaterThanOrEqual(1);
      expect(result.certificates.map((c) => c.index)).toEqual(result.certificates.map((_, i) => i));
      for (const certificate of result.certificates) {
        expect(Number.isFinite(certificate.notBefore.getTime())).toBe(true);
        expect(Number.isFinite(certificate.notAfter.getTime())).toBe(true);
      }
      expect((result.problems ?? []).length).toBeLessThanOrEqual(5);
      for (const problem of result.problems ?? []) {
        expect(UNREADABLE_REASONS).toContain(problem.reason);
        expectDetail(problem.detail);
      }
      break;
    case "unreadable":
      expect(UNREADABLE_REASONS).toContain(result.reason);
      expectDetail(result.detail);
      break;
    case "not-certificate":
      expectDetail(result.detail);
      break;
    default:
      throw new Error(`unexpected result ${JSON.stringify(result)}`);
  }
}

type Mutation =
  | { kind: "flip"; flips: { at: number; bit: number }[] }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "splice"; other: number; at: number; from: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    flips: fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant("splice" as const), other: fc.nat(), at: fc.nat(), from: fc.nat() }),
);

function mutate(sample: Uint8Array, change: Mutation): Uint8Array {
  const bytes = Buffer.from(sample);
  switch (change.kind) {
    case "flip":
      for (const { at, bit } of change.flips) {
        const i = at % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
      }
      return bytes;
    case "truncate":
      return bytes.subarray(0, change.at % bytes.length);
    case "insert": {
      const at = change.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
    }
    case "splice": {
      const other = samples[change.other % samples.length] ?? sample;
      return Buffer.concat([
        bytes.subarray(0, change.at % bytes.length),
        other.subarray(change.from % other.length),
      ]);
    }
  }
}

/** A length field rewritten: the lies a broken or hostile encoder tells. */
interface LengthLie {
  element: number;
  change: "larger" | "smaller" | "indefinite" | "non-minimal" | "absurd";
  delta: number;
  asPem: boolean;
}

const lengthLie: fc.Arbitrary<LengthLie> = fc.record({
  element: fc.nat(),
  change: fc.constantFrom("larger", "smaller", "indefinite", "non-minimal", "absurd"),
  delta: fc.integer({ min: 1, max: 300 }),
  asPem: fc.boolean(),
});

function lie(der: Uint8Array, { element, change, delta, asPem }: LengthLie): Uint8Array {
  const headers = elementHeaders(der);
  const target = headers[element % headers.length]!;
  const octets = {
    larger: () => lengthBytes(target.contentLength + delta),
    smaller: () => lengthBytes(Math.max(0, target.contentLength - delta)),
    indefinite: () => Uint8Array.of(0x80),
    "non-minimal": () =>
      Uint8Array.of(0x84, ...Buffer.from(lengthBytes(0x1_0000_0000 + target.contentLength)).subarray(2)),
    absurd: () => Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff),
  }[change]();
  const bytes = withLengthOctets(der, target, octets);
  return asPem ? text(pemOf("CERTIFICATE", bytes)) : bytes;
}

describe("readCertificates on mutated input", () => {
  it("never throws and always accounts for mutated certificates, bundles and keystores", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutation, async (which, change) => {
        // Prepare
        const sample = samples[which % samples.length] ?? new Uint8Array();
        const bytes = mutate(sample, change);

        // Act
        const result = await readCertificates(bytes, "fuzz.bin", { pkcs12Password: PASSWORD });

        // Assess
        expectAccountedFor(result);
      }),
      run(400),
    );
  });

  it("never throws on length fields that lie, in DER or inside PEM", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), lengthLie, async (which, change) => {
        // Prepare
        const bytes = lie(derSamples[which % derSamples.length]!, change);

        // Act
        const result = await readCertificates(bytes, "lie.bin");

        // Assess
        expectAccountedFor(result);
      }),
      run(300),
    );
  });

  it("never throws on arbitrary bytes or on text full of PEM markers", async () => {
    const markers = fc.constantFrom(
      "-----BEGIN CERTIFICATE-----",
      "-----END CERTIFICATE-----",
      "-----BEGIN PKCS7-----",
      "-----END PKCS7-----",
      "-----BEGIN PRIVATE KEY-----",
      "MIIB",
      "\r\n",
      "=",
    );
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([0x30, ...b])),
      fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([0x30, 0x80, ...b])),
      fc
        .array(fc.oneof(markers, fc.string({ maxLength: 16 })), { maxLength: 24 })
        .map((parts) => new Uint8Array(Buffer.from(parts.join("")))),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        expectAccountedFor(await readCertificates(bytes, "fuzz.bin"));
      }),
      run(400),
    );
  });
});

describe("no certificate is lost", () => {
  type Block =
    | { kind: "good"; which: number }
    | { kind: "truncated"; at: number }
    | { kind: "garbage" }
    | { kind: "key" };
  const block: fc.Arbitrary<Block> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("good" as const), which: fc.nat() }) },
    fc.record({ kind: fc.constant("truncated" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("garbage" as const) }),
    fc.record({ kind: fc.constant("key" as const) }),
  );
  const filler = fc.constantFrom(
    "",
    "\n",
    "\r\n\r\n",
    "subject=CN = x\n",
    "Bag Attributes\n    friendlyName: a\n",
  );

  it("reads every good block of a bundle, in order, whatever broken blocks sit between them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(filler, block), { minLength: 1, maxLength: 12 }), async (parts) => {
        // Prepare
        const good: Uint8Array[] = [];
        let broken = 0;
        const file = parts
          .map(([before, part]) => {
            switch (part.kind) {
              case "good": {
                const der = pool[part.which % pool.length]!;
                good.push(der);
                return before + pemOf("CERTIFICATE", der);
              }
              case "truncated": {
                broken += 1;
                const der = pool[part.at % pool.length]!;
                return before + pemOf("CERTIFICATE", der.subarray(0, part.at % der.length));
              }
              case "garbage":
                broken += 1;
                return `${before}-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n`;
              default: // a key block: not a certificate, so neither read nor a problem
                return before + pemOf("PRIVATE KEY", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
            }
          })
          .join("");

        // Act
        const result = await readCertificates(text(file), "bundle.pem");

        // Assess
        expectAccountedFor(result);
        if (good.length > 0) {
          const certificates = result.status === "ok" ? result.certificates : [];
          expect(certificates.map((c) => Buffer.from(c.der).toString("hex"))).toEqual(
            good.map((der) => Buffer.from(der).toString("hex")),
          );
          expect(result.status === "ok" ? (result.problems ?? []).length : -1).toBe(Math.min(broken, 5));
        } else if (broken > 0) {
          expect(result).toMatchObject({ status: "unreadable", reason: "bad-pem" });
        } else {
          expect(result.status).toBe("not-certificate");
        }
      }),
      run(150),
    );
  });
});

describe("validity times", () => {
  const instant = fc.record({
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
  });
  const two = (n: number) => String(n).padStart(2, "0");

  async function notAfterOf(time: TimeSpec) {
    return readCertificates(
      craftCertificate({ notAfter: time, subject: [cn("time.fuzz.example")] }),
      "t.der",
    );
  }

  it("reads any UTCTime with the RFC 5280 pivot and any GeneralizedTime as the instant written", async () => {
    await fc.assert(
      fc.asyncProperty(instant, fc.integer({ min: 0, max: 9999 }), fc.boolean(), async (at, year, utc) => {
        // Prepare: UTCTime covers 1950-2049 only
        const fullYear = utc ? 1950 + (year % 100) : year;
        const clock = `${two(at.month)}${two(at.day)}${two(at.hour)}${two(at.minute)}${two(at.second)}Z`;
        const time = utc
          ? utcTime(`${two(fullYear % 100)}${clock}`)
          : generalizedTime(`${String(fullYear).padStart(4, "0")}${clock}`);
        const expected = new Date(0);
        expected.setUTCFullYear(fullYear, at.month - 1, at.day);
        expected.setUTCHours(at.hour, at.minute, at.second, 0);

        // Act
        const result = await notAfterOf(time);

        // Assess
        expect(result.status === "ok" && result.certificates[0]?.notAfter.toISOString()).toBe(
          expected.toISOString(),
        );
      }),
      run(200),
    );
  });

  it("reads any other time text as one instant or refuses it, never as an invalid date", async () => {
    const characters = fc.constantFrom(..."0123456789Z+-.,z ".split(""));
    await fc.assert(
      fc.asyncProperty(fc.array(characters, { maxLength: 20 }), fc.boolean(), async (chars, utc) => {
        // Act
        const body = chars.join("");
        const result = await notAfterOf(utc ? utcTime(body) : generalizedTime(body));

        // Assess
        expectAccountedFor(result);
        if (result.status === "unreadable") expect(result.reason).toBe("bad-der");
      }),
      run(200),
    );
  });

  it("keeps serial numbers apart: a negative serial never shows as the positive one with the same bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: -(1n << 159n), max: (1n << 159n) - 1n }), async (serial) => {
        // Act
        const result = await readCertificates(craftCertificate({ serial: twosComplement(serial) }), "s.der");

        // Assess: OpenSSL's notation, sign and magnitude
        const shown = result.status === "ok" ? result.certificates[0]?.serialNumber : undefined;
        const magnitude = (serial < 0n ? -serial : serial).toString(16).toUpperCase();
        const even = magnitude.length % 2 === 1 ? `0${magnitude}` : magnitude;
        expect(shown).toBe(serial < 0n ? `-${even}` : even);
      }),
      run(100),
    );
  });
});
