/** `awsCertificates`: what a configuration may select in ACM, IAM, Secrets Manager and Parameter Store. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { problemsOf } from "../../support/config-problems";

const withAws = (awsCertificates: unknown) => ({
  certificates: { sources: [{ prefix: "certs/" }] },
  awsCertificates,
});

describe("awsCertificates", () => {
  it("is empty by default, and keeps every kind's selection with its defaults", () => {
    // Act
    const none = parseConfig(withAws(undefined));
    const all = parseConfig({
      ...withAws({
        acm: [{ regions: ["eu-west-1", "us-east-1"], tags: { team: "payments" } }],
        iamServerCertificates: [{ accounts: ["111122223333"] }],
        secretsManager: [
          { regions: ["eu-west-1"], namePrefix: "tls/", password: { parameterName: "/tls/p12-password" } },
        ],
        ssmParameters: [{ regions: ["eu-west-1"], path: "/tls/", expectedHostnames: ["kafka.example.com"] }],
      }),
      // A selection naming accounts reads them through the reader role, which needs the external ID.
      accounts: { externalId: "wp-7f3c9a2b" },
    });

    // Assess
    expect(none.awsCertificates).toEqual({
      acm: [],
      iamServerCertificates: [],
      secretsManager: [],
      ssmParameters: [],
    });
    expect(all.awsCertificates.iamServerCertificates).toEqual([
      { accounts: ["111122223333"], pathPrefix: "/" },
    ]);
    expect(all.awsCertificates.ssmParameters[0]).toMatchObject({ path: "/tls/", recursive: true });
  });

  it.each([
    [
      "a secret selection without a name prefix or tags",
      { secretsManager: [{ regions: ["eu-west-1"] }] },
      "awsCertificates.secretsManager[0].namePrefix: expected namePrefix or tags: a selection of every secret would read passwords and keys",
    ],
    [
      "an account ID of 11 digits",
      { acm: [{ regions: ["eu-west-1"], accounts: ["11112222333"] }] },
      'awsCertificates.acm[0].accounts[0]: expected a 12-digit AWS account ID such as "111122223333"',
    ],
    [
      "the same region twice",
      { acm: [{ regions: ["eu-west-1", "eu-west-1"] }] },
      "awsCertificates.acm[0].regions: expected each region once",
    ],
    [
      "an IAM path with a wildcard",
      { iamServerCertificates: [{ pathPrefix: "/cloud*/" }] },
      "awsCertificates.iamServerCertificates[0].pathPrefix: expected a path without '*' or '?', which IAM policies read as wildcards",
    ],
    [
      "a parameter path without its leading '/'",
      { ssmParameters: [{ regions: ["eu-west-1"], path: "tls/" }] },
      'awsCertificates.ssmParameters[0].path: expected a Parameter Store path such as "/tls/" (letters, digits, _ . - /)',
    ],
    [
      "an ACM CA bundle the scan may not read (outside every source's prefix and named by none)",
      { acm: [{ regions: ["eu-west-1"], caBundleKey: "trust/private-ca.pem" }] },
      'awsCertificates.acm[0].caBundleKey: expected a key the certificate scan may read: under a prefix of certificates.sources, or the caBundleKey of a source or peer group ("trust/private-ca.pem" is neither)',
    ],
  ])("refuses %s", (_case, awsCertificates, problem) => {
    // Act
    const problems = problemsOf(withAws(awsCertificates));

    // Assess
    expect(problems).toContain(problem);
  });

  it.each([
    ["under a source's prefix", { sources: [{ prefix: "certs/" }] }, "certs/ca/private-ca.pem"],
    [
      "a source's own CA bundle",
      { sources: [{ prefix: "certs/", caBundleKey: "trust/private-ca.pem" }] },
      "trust/private-ca.pem",
    ],
  ])("accepts an ACM CA bundle %s", (_case, certificates, caBundleKey) => {
    // Act
    const config = parseConfig(
      { certificates, awsCertificates: { acm: [{ regions: ["eu-west-1"], caBundleKey }] } },
      "test.json",
    );

    // Assess
    expect(config.awsCertificates.acm[0]?.caBundleKey).toBe(caBundleKey);
  });
});
