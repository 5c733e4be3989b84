/**
 * The IAM policy the README gives the hosts' role for `watchpost push` (pushRolePolicy), checked
 * with the IAM evaluator @cloud-copilot/iam-simulate against the calls the command really makes
 * (recorded from core push() runs) and the bucket policy the synthesized stack writes. Authorization
 * per call follows the Amazon S3 User Guide, "Required permissions for Amazon S3 API operations":
 * ListObjectsV2 is s3:ListBucket on the bucket with the s3:prefix condition key, HeadObject is
 * s3:GetObject, PutObject s3:PutObject, DeleteObject s3:DeleteObject on the object.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { beforeAll, describe, expect, it } from "vitest";
import { pushRolePolicy } from "../../functions/core/push/iam-policy";
import { type PushRequest, type PushTargetPort, push } from "../../functions/core/push/push";
import { chain } from "../support/pki";
import { logicalIdOf, minimalConfig, synth } from "./support";

const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/flink-hosts`;
const BUCKET = "watched-certificates";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

interface Call {
  action: string;
  resource: string;
  context: Record<string, string>;
}

let calls: Call[];
let bucketPolicy: { Statement: unknown[] };

/** Runs push() the way cron would on two occasions, recording each S3 call as IAM authorizes it. */
async function recordedCalls(): Promise<Call[]> {
  const pem = Buffer.from((await chain("flink01.example.com")).leaf.pem);
  const recorded: Call[] = [];
  const stored = new Map<string, string>();
  const object = (key: string) => `${BUCKET_ARN}/${key}`;
  const target: PushTargetPort = {
    async list(prefix) {
      recorded.push({ action: "s3:ListBucket", resource: BUCKET_ARN, context: { "s3:prefix": prefix } });
      // ETags that are not MD5s, as under SSE-KMS: every existing copy costs a HeadObject.
      return new Map([...stored.keys()].map((key) => [key, "0".repeat(32)]));
    },
    async head(key) {
      recorded.push({ action: "s3:GetObject", resource: object(key), context: {} });
      return stored.has(key) ? {} : undefined;
    },
    async put(key) {
      recorded.push({ action: "s3:PutObject", resource: object(key), context: {} });
      stored.set(key, "");
    },
    async delete(key) {
      recorded.push({ action: "s3:DeleteObject", resource: object(key), context: {} });
      stored.delete(key);
    },
    uri: (key) => `s3://${BUCKET}/${key}`,
  };
  const request = (files: string[]): PushRequest => ({
    files: files.map((path) => ({ path, load: async () => ({ ok: true, bytes: pem }) })),
    walkErrors: [],
    roots: ["/opt/flink/conf"],
    prefix: "hosts/",
    host: "flink01",
    delete: true,
    dryRun: false,
    now: new Date(),
    // b.pem is deleted from the host between the two runs: its path answers ENOENT on the second.
    presence: async (path) => (files.includes(path) ? "present" : "absent"),
  });
  await push(request(["/opt/flink/conf/a.pem", "/opt/flink/conf/b.pem"]), target);
  await push(request(["/opt/flink/conf/a.pem"]), target);
  return recorded;
}

/** The stack's bucket policy with its references to the bucket resolved to BUCKET_ARN. */
function resolvedBucketPolicy(): { Statement: unknown[] } {
  const template = synth(minimalConfig());
  const bucketId = logicalIdOf(template, "AWS::S3::Bucket");
  const policy = Object.values(template.findResources("AWS::S3::BucketPolicy"))[0]?.Properties.PolicyDocument;
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === "object") {
      const record = value as Record<string, unknown>;
      const getAtt = record["Fn::GetAtt"] as [string, string] | undefined;
      if (getAtt?.[0] === bucketId && getAtt[1] === "Arn") return BUCKET_ARN;
      const join = record["Fn::Join"] as [string, unknown[]] | undefined;
      if (join) return (resolve(join[1]) as string[]).join(join[0]);
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v)]));
    }
    return value;
  };
  return resolve(policy) as { Statement: unknown[] };
}

async function verdict(
  call: Call,
  identity: ReturnType<typeof pushRolePolicy>,
  secureTransport = true,
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: ROLE,
      action: call.action,
      resource: { resource: call.resource, accountId: ACCOUNT },
      contextVariables: { "aws:SecureTransport": String(secureTransport), ...call.context },
    },
    identityPolicies: [{ name: "push", policy: identity }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: bucketPolicy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.length > 0) throw new Error(`context keys ignored by the simulator: ${ignored.join(", ")}`);
  return result.overallResult;
}

beforeAll(async () => {
  [calls, bucketPolicy] = [await recordedCalls(), resolvedBucketPolicy()];
});

describe("the IAM policy for watchpost push", () => {
  const policy = pushRolePolicy({ bucket: BUCKET, prefix: "hosts/", host: "flink01", allowDelete: true });

  it("allows every call the command makes, --delete included", async () => {
    // Assess: list, head, put and delete all happened, and each is allowed
    expect(new Set(calls.map((c) => c.action))).toEqual(
      new Set(["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
    );
    expect(calls).toContainEqual({
      action: "s3:PutObject",
      resource: `${BUCKET_ARN}/hosts/flink01/.watchpost-heartbeat.json`,
      context: {},
    });
    for (const call of calls) expect([call, await verdict(call, policy)]).toEqual([call, "Allowed"]);
  });

  it("allows no deletion without allowDelete", async () => {
    const withoutDelete = pushRolePolicy({ bucket: BUCKET, prefix: "hosts/", host: "flink01" });
    const deletion = calls.find((c) => c.action === "s3:DeleteObject")!;
    expect(await verdict(deletion, withoutDelete)).not.toBe("Allowed");
  });

  it("confines the host to its own copies: no other host's objects, no listing of the whole prefix", async () => {
    const otherHost = {
      action: "s3:PutObject",
      resource: `${BUCKET_ARN}/hosts/flink02/opt/x.pem`,
      context: {},
    };
    const readOther = {
      action: "s3:GetObject",
      resource: `${BUCKET_ARN}/hosts/flink02/opt/x.pem`,
      context: {},
    };
    const listAll = { action: "s3:ListBucket", resource: BUCKET_ARN, context: { "s3:prefix": "hosts/" } };
    const outside = { action: "s3:PutObject", resource: `${BUCKET_ARN}/clusters/prod/ca.pem`, context: {} };
    for (const call of [otherHost, readOther, listAll, outside]) {
      expect([call, await verdict(call, policy)]).toEqual([call, expect.not.stringMatching(/^Allowed$/)]);
    }
  });

  it("is refused by the stack's bucket policy over plain HTTP", async () => {
    const put = calls.find((c) => c.action === "s3:PutObject")!;
    expect(await verdict(put, policy, false)).toBe("ExplicitlyDenied");
  });
});
