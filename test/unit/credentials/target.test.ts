import { describe, expect, it } from "vitest";
import { checkCredentialTargets, sessionNameFor } from "../../../functions/core/credentials/check";
import type { CredentialCheckDeps } from "../../../functions/core/credentials/ports";
import { REDACTED, scrub } from "../../../functions/core/credentials/redact";
import { CredentialTarget, probePrefixFor } from "../../../functions/core/credentials/target";
import { healthyStorage } from "../../support/sts-errors";

const targetNamed = (name: string) =>
  CredentialTarget.parse({
    name,
    roleArn: "arn:aws:iam::123456789012:role/agency",
    bucket: `bucket-${name}`,
    region: "eu-west-1",
  });

describe("checking many targets", () => {
  it("keeps at most `concurrency` targets in flight and returns results in input order", async () => {
    // Prepare
    let inFlight = 0;
    let mostInFlight = 0;
    const releases: (() => void)[] = [];
    const deps: CredentialCheckDeps = {
      assumeRole: async () => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight -= 1;
        return {
          accessKeyId: "ASIAEXAMPLE",
          secretAccessKey: "secret",
          expiration: new Date(Date.now() + 3600_000),
        };
      },
      storage: () => healthyStorage,
    };
    const targets = Array.from({ length: 10 }, (_, i) => targetNamed(`t${i}`));
    // Release waiting calls one tick at a time so workers pick up new targets as others finish.
    const releaser = setInterval(() => releases.shift()?.(), 1);

    // Act
    const results = await checkCredentialTargets(targets, deps, { concurrency: 3 }).finally(() =>
      clearInterval(releaser),
    );

    // Assess
    expect(mostInFlight).toBe(3);
    expect(results.map((r) => r.target)).toEqual(targets.map((t) => t.name));
    expect(results.every((r) => r.findings.length === 0)).toBe(true);
  });

  it("runs every target at once when the bound allows it", async () => {
    // Prepare
    let inFlight = 0;
    let mostInFlight = 0;
    let release: () => void = () => undefined;
    const allStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const deps: CredentialCheckDeps = {
      assumeRole: async () => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        if (inFlight === 4) release();
        await allStarted;
        inFlight -= 1;
        return {
          accessKeyId: "ASIAEXAMPLE",
          secretAccessKey: "secret",
          expiration: new Date(Date.now() + 3600_000),
        };
      },
      storage: () => {
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      },
    };

    // Act
    const results = await checkCredentialTargets(["a", "b", "c", "d"].map(targetNamed), deps);

    // Assess
    expect(mostInFlight).toBe(4);
    expect(results.map((r) => r.findings[0]?.check)).toEqual(Array(4).fill("storage-unreachable"));
  });
});

describe("target configuration", () => {
  it("applies defaults and rejects what STS or S3 would refuse", () => {
    // Prepare
    const base = { name: "t", bucket: "my-bucket", region: "eu-west-1" };

    // Act
    const parsed = CredentialTarget.parse(base);
    const badArn = CredentialTarget.safeParse({ ...base, roleArn: "arn:aws:s3:::my-bucket" });
    const tooShort = CredentialTarget.safeParse({ ...base, sessionDurationSeconds: 600 });
    const tooLong = CredentialTarget.safeParse({ ...base, sessionDurationSeconds: 43201 });
    const badEndpoint = CredentialTarget.safeParse({ ...base, s3Endpoint: "not a url" });

    // Assess
    expect(parsed).toMatchObject({ minRemainingSeconds: 900, timeoutMs: 5000 });
    expect([badArn.success, tooShort.success, tooLong.success, badEndpoint.success]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("keeps probe objects under their own prefix and names sessions after the target", () => {
    // Prepare
    const names = ["", "data/", "data"];

    // Act
    const prefixes = names.map((prefix) => probePrefixFor({ prefix }));

    // Assess
    expect(prefixes).toEqual([".watchpost-probe/", "data/.watchpost-probe/", "data/.watchpost-probe/"]);
    expect(sessionNameFor({ name: "cluster a/b" })).toBe("watchpost-cluster-a-b");
    expect(sessionNameFor({ name: "x".repeat(100) })).toHaveLength(64);
  });
});

describe("scrubbing secrets", () => {
  it("removes known values and anything shaped like an AWS secret or session token", () => {
    // Prepare
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const token = `FwoGZXIvYXdzE${"b".repeat(150)}`;
    const known = "short-secret-value";

    // Act
    const text = scrub(`key=${secret} token=${token} other=${known} code=InvalidAccessKeyId`, [known]);

    // Assess
    expect(text).toBe(`key=${REDACTED} token=${REDACTED} other=${REDACTED} code=InvalidAccessKeyId`);
  });
});
