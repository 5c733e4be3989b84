/**
 * Crafted chains must cost a bounded amount of work and end in a finding (path/validate.ts). Before
 * the budgets, 9 CA certificates sharing one name and one key took 3.5 s and 14 never finished.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ParsedCertificate, parseCertificate } from "../../../functions/core/certificates/certificate";
import { DEFAULT_POLICY, evaluateCertificates } from "../../../functions/core/certificates/evaluate";
import {
  LINK_BUDGET,
  SIGNATURE_BUDGET,
  validatePath,
} from "../../../functions/core/certificates/path/validate";
import { asRawIssuer, issue, issueRaw, type RawIssued } from "../../support/pki";

function parsed(file: string, ders: readonly { der: Uint8Array }[]): ParsedCertificate[] {
  return ders.map(({ der }, index) => parseCertificate(der, file, index));
}

const OPTIONS = { now: new Date(), skewSeconds: 0, purpose: "server" as const };

describe("path search cost", () => {
  it("judges 14 CA certificates sharing one name and one key in a handful of links", async () => {
    // Prepare: 14 self-signed CAs with one subject and one key, a leaf signed by that key
    const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const cas = Array.from({ length: 14 }, () => issueRaw({ subject: "CN=Same CA", isCA: true, keys }));
    const leaf = issueRaw({ subject: "CN=node1.example", dnsNames: ["node1.example"], issuer: cas[0]! });
    const root = await issue({ subject: "CN=Unrelated Root", isCA: true });
    const certs = parsed("crafted.pem", [leaf, ...cas]);

    // Act (the work is bounded by counted links and signatures, asserted below; a stopwatch on a
    // loaded machine would prove nothing: npm run bench measures speed)
    const result = validatePath(certs[0]!, certs, parsed("ca.pem", [root]), OPTIONS, "leaf");
    const findings = evaluateCertificates(certs, {
      ...DEFAULT_POLICY,
      now: new Date(),
      trustAnchors: parsed("ca.pem", [root]),
    });

    // Assess
    expect(result.violations.map((v) => v.reason)).toEqual(["self-signed-untrusted"]);
    expect(result.cost.links).toBeLessThanOrEqual(14 + 14 * 14);
    expect(result.cost.signatures).toBeLessThanOrEqual(14);
    expect(findings.find((f) => f.source === "crafted.pem#0")).toMatchObject({
      check: "untrusted-chain",
      severity: "major",
    });
  });

  it("ends a search with too many candidate paths with a 'too complex to evaluate' finding", () => {
    // Prepare: four levels of eight CAs each, all of a level sharing subject and key, so every
    // one of 8^4 orderings verifies and none reaches a trusted CA
    const levels = 4;
    const width = 8;
    const keysOf = Array.from({ length: levels + 1 }, () =>
      generateKeyPairSync("ec", { namedCurve: "prime256v1" }),
    );
    const top: RawIssued = issueRaw({ subject: `CN=Level ${levels}`, isCA: true, keys: keysOf[levels]! });
    const cas: RawIssued[] = [top];
    let signers: RawIssued[] = [top];
    for (let level = levels - 1; level >= 1; level -= 1) {
      const issuer = signers[0]!;
      signers = Array.from({ length: width }, () =>
        issueRaw({ subject: `CN=Level ${level}`, isCA: true, keys: keysOf[level]!, issuer }),
      );
      cas.push(...signers);
    }
    const leaf = issueRaw({ subject: "CN=node1.example", dnsNames: ["node1.example"], issuer: signers[0]! });
    const anchor = issueRaw({ subject: "CN=Elsewhere Root", isCA: true, keys: keysOf[0]! });
    const certs = parsed("crafted.pem", [leaf, ...cas]);

    // Act
    const result = validatePath(certs[0]!, certs, parsed("ca.pem", [anchor]), OPTIONS, "leaf");

    // Assess
    expect(result.violations.map((v) => v.reason)).toContain("chain-too-complex");
    expect(result.violations[0]?.text).toContain("the chain is too complex to evaluate");
    expect(result.cost.links).toBeLessThanOrEqual(LINK_BUDGET + width);
    expect(result.cost.signatures).toBeLessThanOrEqual(SIGNATURE_BUDGET);
  });

  it("spends the same budget and finds the same on an input met again (signatures kept across inputs)", () => {
    // Prepare: three levels of six CAs sharing subject and key per level, verified on the first pass
    const keysOf = Array.from({ length: 4 }, () => generateKeyPairSync("ec", { namedCurve: "prime256v1" }));
    let signers: RawIssued[] = [issueRaw({ subject: "CN=Level 3", isCA: true, keys: keysOf[3]! })];
    const cas: RawIssued[] = [...signers];
    for (let level = 2; level >= 1; level -= 1) {
      const issuer = signers[0]!;
      signers = Array.from({ length: 6 }, () =>
        issueRaw({ subject: `CN=Level ${level}`, isCA: true, keys: keysOf[level]!, issuer }),
      );
      cas.push(...signers);
    }
    const leaf = issueRaw({ subject: "CN=node1.example", dnsNames: ["node1.example"], issuer: signers[0]! });
    const anchor = issueRaw({ subject: "CN=Elsewhere Root", isCA: true, keys: keysOf[0]! });
    const search = () =>
      validatePath(
        parsed("crafted.pem", [leaf, ...cas])[0]!,
        parsed("crafted.pem", [leaf, ...cas]),
        parsed("ca.pem", [anchor]),
        OPTIONS,
        "leaf",
      );

    // Act
    const first = search();
    const again = search();

    // Assess: what an input finds does not depend on what this environment verified before
    expect(first.cost.signatures).toBeGreaterThan(1);
    expect(again.cost).toEqual(first.cost);
    expect(again.violations.map((v) => v.reason)).toEqual(first.violations.map((v) => v.reason));
  });

  it("still finds the good path among many same-named CAs when one leads to the anchor", async () => {
    // Prepare: twelve impostors share the intermediate's name; the real one is listed last
    const root = await issue({ subject: "CN=Real Root", isCA: true });
    const intermediateKeys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const rawRoot = asRawIssuer(root);
    const real = issueRaw({ subject: "CN=Issuing CA", isCA: true, keys: intermediateKeys, issuer: rawRoot });
    const impostors = Array.from({ length: 12 }, () =>
      issueRaw({
        subject: "CN=Issuing CA",
        isCA: true,
        keys: generateKeyPairSync("ec", { namedCurve: "prime256v1" }),
      }),
    );
    const leaf = issueRaw({ subject: "CN=node1.example", dnsNames: ["node1.example"], issuer: real });
    const certs = parsed("chain.pem", [leaf, ...impostors, real]);

    // Act
    const result = validatePath(certs[0]!, certs, parsed("ca.pem", [root]), OPTIONS, "leaf");

    // Assess
    expect(result.violations).toEqual([]);
    expect(result.path?.map((c) => c.source)).toEqual(["chain.pem#0", "chain.pem#13", "ca.pem#0"]);
  });
});
