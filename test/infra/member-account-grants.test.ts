import { describe, expect, it } from "vitest";
import { grantsOf, minimalConfig, synth } from "./support";

describe("the scan role's access to member accounts", () => {
  it("may assume the reader role in exactly the accounts the sources name", () => {
    // Act
    const template = synth({
      ...minimalConfig(),
      awsCertificates: {
        acm: [{ regions: ["eu-west-1"], accounts: ["210987654321"] }],
        secretsManager: [
          { regions: ["eu-west-1"], accounts: ["210987654321", "011111111111"], namePrefix: "tls/" },
        ],
      },
      accounts: { externalId: "wp-7f3c9a2b", readerRoleName: "cert-reader" },
    });

    // Assess
    const assume = grantsOf(template, /^CertificateScanRole/).filter(([action]) => action.startsWith("sts:"));
    expect(assume.map(([action, resource]) => [action, JSON.parse(resource)])).toEqual([
      ["sts:AssumeRole", "arn:aws:iam::011111111111:role/cert-reader"],
      ["sts:AssumeRole", "arn:aws:iam::210987654321:role/cert-reader"],
    ]);
  });

  it("may assume no role when no source names an account", () => {
    // Act
    const template = synth(minimalConfig());

    // Assess
    expect(
      grantsOf(template, /^CertificateScanRole/).filter(([action]) => action.startsWith("sts:")),
    ).toEqual([]);
  });
});
