import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type ReadResult, readCertificates } from "../../functions/core/certificates/reader";
import { UNREADABLE_REASONS } from "../../functions/core/contracts";
import { chain, pemOf, pkcs7Der, pkcs12 } from "../support/pki";

const PASSWORD = "property";
let samples: Uint8Array[] = [];

beforeAll(async () => {
  const { root, intermediate, leaf } = await chain("fuzz.cluster.local");
  const text = (value: string) => new Uint8Array(Buffer.from(value));
  samples = [
    leaf.der,
    text(leaf.pem),
    text([leaf.pem, intermediate.pem, root.pem].join("\r\n")),
    pkcs7Der([leaf.der, root.der]),
    text(pemOf("PKCS7", pkcs7Der([leaf.der]))),
    await pkcs12([leaf.der, intermediate.der], { password: PASSWORD }),
    await pkcs12([leaf.der], { password: PASSWORD, encryption: "3des", iterations: 64 }),
  ];
});

/** Every outcome names what happened to the file in the contract's terms. */
function expectAccountedFor(result: ReadResult): void {
  switch (result.status) {
    case "ok":
      expect(result.certificates.length).toBeGreaterThanOrEqual(1);
      expect(result.certificates.map((c) => c.index)).toEqual(result.certificates.map((_, i) => i));
      for (const problem of result.problems ?? []) {
        expect(UNREADABLE_REASONS).toContain(problem.reason);
        expect(problem.detail.length).toBeGreaterThan(0);
      }
      break;
    case "unreadable":
      expect(UNREADABLE_REASONS).toContain(result.reason);
      expect(result.detail.length).toBeGreaterThan(0);
      expect(result.detail).not.toContain(PASSWORD);
      break;
    case "not-certificate":
      expect(result.detail.length).toBeGreaterThan(0);
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
      { numRuns: 400 },
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
      fc
        .array(fc.oneof(markers, fc.string({ maxLength: 16 })), { maxLength: 24 })
        .map((parts) => new Uint8Array(Buffer.from(parts.join("")))),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        expectAccountedFor(await readCertificates(bytes, "fuzz.bin"));
      }),
      { numRuns: 400 },
    );
  });
});
