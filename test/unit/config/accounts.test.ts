import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/core/config";
import { Accounts, memberAccountIds, SourceAccounts } from "../../../functions/core/config/accounts";
import { problemsOf } from "../../support/config-problems";

describe("the accounts section", () => {
  it("defaults to the reader role watchpost-reader and one-hour sessions, with no external ID", () => {
    // Act
    const config = parseConfig({ certificates: { sources: [{ prefix: "certs/" }] } });

    // Assess
    expect(config.accounts).toEqual({ readerRoleName: "watchpost-reader", sessionDurationSeconds: 3600 });
  });

  it.each([
    {
      field: "sessionDurationSeconds",
      value: 7200,
      says: "expected at most 3600 s: the scan assumes the reader role from Lambda, which is role chaining",
    },
    { field: "sessionDurationSeconds", value: 600, says: "expected at least 900 s" },
    { field: "externalId", value: "x", says: "expected an external ID: 2-1224" },
    { field: "externalId", value: "has space", says: "expected an external ID: 2-1224" },
    { field: "readerRoleName", value: "a/b", says: "expected an IAM role name" },
    { field: "readerRoleName", value: "r".repeat(65), says: "expected an IAM role name" },
  ])("refuses $field = $value", ({ field, value, says }) => {
    // Act
    const problems = problemsOf({
      certificates: { sources: [{ prefix: "c/" }] },
      accounts: { [field]: value },
    });

    // Assess
    expect(problems).toEqual([expect.stringContaining(`accounts.${field}: ${says}`)]);
  });

  it("accepts STS's full external ID alphabet", () => {
    // Act
    const accounts = Accounts.parse({ externalId: "Ab0_+=,.@:/-" });

    // Assess
    expect(accounts.externalId).toBe("Ab0_+=,.@:/-");
  });
});

describe("the accounts a source names", () => {
  it.each([
    { accounts: ["12345678901"], says: "expected a 12-digit AWS account ID" },
    { accounts: ["12345678901a"], says: "expected a 12-digit AWS account ID" },
    { accounts: [], says: "expected at least one account ID" },
    { accounts: ["123456789012", "123456789012"], says: "expected each account ID once" },
  ])("refuses $accounts", ({ accounts, says }) => {
    // Act
    const result = SourceAccounts.safeParse(accounts);

    // Assess
    expect(result.error?.issues.map((i) => i.message)).toEqual([expect.stringContaining(says)]);
  });

  it("are collected from every source kind, each once, sorted, leading zeros kept", () => {
    // Prepare
    const config = {
      acm: { sources: [{ accounts: ["222222222222", "011111111111"] }, { regions: ["eu-west-1"] }] },
      secretsManager: { sources: [{ accounts: ["222222222222"] }] },
      accounts: { readerRoleName: "watchpost-reader" },
    };

    // Act
    const ids = memberAccountIds(config);

    // Assess
    expect(ids).toEqual(["011111111111", "222222222222"]);
  });
});

describe("a source naming member accounts", () => {
  it("needs the external ID their reader role trusts the scan with", () => {
    // Act
    const problems = problemsOf({
      certificates: { sources: [{ prefix: "c/" }] },
      awsCertificates: { acm: [{ regions: ["eu-west-1"], accounts: ["210987654321"] }] },
    });

    // Assess
    expect(problems).toEqual([
      "accounts.externalId: expected an external ID: a source names member accounts, and their reader role trusts the scan only with one (docs/member-accounts.md)",
    ]);
  });

  it("is accepted with one, and names the accounts to assume the reader role in", () => {
    // Act
    const config = parseConfig({
      certificates: { sources: [{ prefix: "c/" }] },
      awsCertificates: {
        acm: [{ regions: ["eu-west-1"], accounts: ["210987654321"] }],
        iamServerCertificates: [{ accounts: ["210987654321", "011111111111"] }],
      },
      accounts: { externalId: "wp-7f3c9a2b" },
    });

    // Assess
    expect(memberAccountIds(config)).toEqual(["011111111111", "210987654321"]);
  });
});
