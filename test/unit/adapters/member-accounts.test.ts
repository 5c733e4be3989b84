import { ACMClient } from "@aws-sdk/client-acm";
import {
  AssumeRoleCommand,
  ExpiredTokenException,
  RegionDisabledException,
  STSClient,
} from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  FAILURE_MEMORY_MS,
  memberAccountSessions,
  READER_SESSION_NAME,
} from "../../../functions/adapters/member-accounts";
import { stsServiceError } from "../../support/sts-errors";

const sts = mockClient(STSClient);
const MEMBER = "210987654321";
const SELF = "123456789012";
const EXTERNAL_ID = "wp-external-7f3c9a";
const START = Date.parse("2026-03-01T12:00:00Z");

/** An AssumeRole answer with the API reference's documented fields (Credentials, AssumedRoleUser). */
function issued(key: string, expiresAt: number) {
  return {
    Credentials: {
      AccessKeyId: key,
      SecretAccessKey: `secret-of-${key}`,
      SessionToken: `token-of-${key}`,
      Expiration: new Date(expiresAt),
    },
    AssumedRoleUser: {
      AssumedRoleId: `AROAEXAMPLE:${READER_SESSION_NAME}`,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/watchpost-reader/${READER_SESSION_NAME}`,
    },
  };
}

let clock = START;
function sessions() {
  return memberAccountSessions({
    selfAccountId: SELF,
    readerRoleName: "watchpost-reader",
    externalId: EXTERNAL_ID,
    sessionDurationSeconds: 3600,
    stsClient: new STSClient({
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIACALLER", secretAccessKey: "x" },
    }),
    now: () => clock,
  });
}

beforeEach(() => {
  sts.reset();
  clock = START;
});
afterAll(() => sts.restore());

describe("reading a member account through its reader role", () => {
  it("assumes the role with the external ID, a fixed session name and one hour, and hands out clients on that session", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves(issued("ASIAMEMBER1", START + 3_600_000));
    const accounts = sessions();

    // Act
    const access = await accounts.access(MEMBER);
    if (!access.reachable) throw new Error(access.message);
    const acm = access.client(ACMClient, "us-east-1");
    const credentials = await acm.config.credentials();

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: `arn:aws:iam::${MEMBER}:role/watchpost-reader`,
        RoleSessionName: "watchpost-scan",
        DurationSeconds: 3600,
        ExternalId: EXTERNAL_ID,
      },
    ]);
    expect(credentials).toMatchObject({ accessKeyId: "ASIAMEMBER1", sessionToken: "token-of-ASIAMEMBER1" });
    expect(await acm.config.region()).toBe("us-east-1");
    expect(access.client(ACMClient, "us-east-1")).toBe(acm);
    expect(access.client(ACMClient, "eu-west-1")).not.toBe(acm);
    accounts.close();
  });

  it("keeps the session until five minutes before it expires, then assumes the role again", async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issued("ASIAFIRST", START + 3_600_000))
      .resolvesOnce(issued("ASIASECOND", START + 7_200_000));
    const accounts = sessions();

    // Act
    await accounts.access(MEMBER);
    clock = START + 54 * 60_000;
    const within = await accounts.access(MEMBER);
    clock = START + 56 * 60_000;
    const renewed = await accounts.access(MEMBER);
    if (!renewed.reachable || !within.reachable) throw new Error("unreachable");

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(await renewed.client(ACMClient, "us-east-1").config.credentials()).toMatchObject({
      accessKeyId: "ASIASECOND",
    });
  });

  it("shares one AssumeRole call between sources that ask for the same account at once", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves(issued("ASIAONCE", START + 3_600_000));
    const accounts = sessions();

    // Act
    const all = await Promise.all([
      accounts.access(MEMBER),
      accounts.access(MEMBER),
      accounts.access(MEMBER),
    ]);

    // Assess
    expect(all.map((a) => a.reachable)).toEqual([true, true, true]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it("reads the stack's own account with the function's own role, without AssumeRole", async () => {
    // Prepare
    const accounts = sessions();

    // Act
    const own = await accounts.access(undefined);
    const named = await accounts.access(SELF);

    // Assess
    expect([own.reachable, named.reachable]).toEqual([true, true]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe("an account that cannot be reached", () => {
  const network = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), { code: "ECONNREFUSED" });
  it.each([
    {
      sts: "AccessDenied (role missing, trust refused, other external ID)",
      error: stsServiceError("AccessDenied", 403),
      reason: "trust-refused",
      says: "the reader role is missing, does not trust the scan role, or expects another external ID",
    },
    {
      sts: "RegionDisabledException",
      error: new RegionDisabledException({
        message: "STS is not activated",
        $metadata: { httpStatusCode: 403 },
      }),
      reason: "region-disabled",
      says: "STS is not activated in the scan's Region",
    },
    {
      sts: "ExpiredTokenException",
      error: new ExpiredTokenException({ message: "expired", $metadata: { httpStatusCode: 400 } }),
      reason: "caller-expired",
      says: "the scan function's own session expired",
    },
    {
      sts: "Throttling",
      error: stsServiceError("Throttling", 400),
      reason: "throttled",
      says: "STS throttled",
    },
    { sts: "no answer (ECONNREFUSED)", error: network, reason: "network", says: "STS could not be reached" },
    {
      sts: "an answer without credentials",
      answer: { AssumedRoleUser: issued("x", START).AssumedRoleUser },
      reason: "refused",
      says: "STS refused the AssumeRole call",
    },
  ])(
    "$sts: the account is reported not reachable ($reason), naming account and role, never the external ID",
    async (row) => {
      // Prepare
      if (row.error) sts.on(AssumeRoleCommand).rejects(row.error);
      else sts.on(AssumeRoleCommand).resolves(row.answer ?? {});
      const accounts = sessions();

      // Act
      const access = await accounts.access(MEMBER);

      // Assess
      expect(access).toMatchObject({ reachable: false, account: MEMBER, reason: row.reason });
      if (access.reachable) return;
      expect(access.message).toContain(
        `account ${MEMBER} not reachable: could not assume role watchpost-reader in account ${MEMBER}`,
      );
      expect(access.message).toContain(row.says);
      expect(access.message).toContain("Nothing of this account was re-checked or cleared in this run");
      expect(access.message).not.toContain(EXTERNAL_ID);
      expect(access.message).not.toContain("AKIACALLER");
    },
  );

  it("is not asked again for a minute, then is", async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(stsServiceError("AccessDenied", 403))
      .resolvesOnce(issued("ASIALATER", START + 3_600_000 + FAILURE_MEMORY_MS));
    const accounts = sessions();

    // Act
    const first = await accounts.access(MEMBER);
    const remembered = await accounts.access(MEMBER);
    clock = START + FAILURE_MEMORY_MS;
    const later = await accounts.access(MEMBER);

    // Assess
    expect([first.reachable, remembered.reachable, later.reachable]).toEqual([false, false, true]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });
});
