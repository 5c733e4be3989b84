/**
 * What AWS decides about a deployment beyond its IAM policies (iam-calls.test.ts judges those), for
 * every configuration of the synth matrix (test/support/deployment-configs.ts), each synthesized for
 * its own region and partition:
 *
 * - STS: the credential check runs in Lambda, so its AssumeRole is role chaining; every configured
 *   role must yield a session the check then accepts (test/support/sts-role-chaining.ts).
 * - KMS: S3 uses a bucket's key on the caller's behalf only in the bucket's own region.
 * - S3 → EventBridge: a bucket sends events only once its notifications are on, only to the default
 *   bus of its own region; a rule there must route every watched key to the scan.
 * - CloudWatch: the stack's alarms before any data exists, as CloudWatch documents evaluating them
 *   (test/support/cloudwatch-alarm-model.ts): a fresh install pages nobody, and a scan that never
 *   succeeds still does.
 */
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { RegionInfo } from "aws-cdk-lib/region-info";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsCredentialProbe } from "../../functions/adapters/credential-probe";
import {
  parseConfig,
  readablePrefixes,
  regionOfArn,
  type WatchpostConfig,
} from "../../functions/core/config";
import { checkCredentialTarget } from "../../functions/core/credentials/check";
import type { StorageSession } from "../../functions/core/credentials/ports";
import { CredentialTarget } from "../../functions/core/credentials/target";
import { synth } from "../infra/support";
import {
  type AlarmState,
  type DataPoint,
  metricAlarmOf,
  stateHistory,
} from "../support/cloudwatch-alarm-model";
import { ACCOUNT, type Deployment, deployments } from "../support/deployment-configs";
import { matchesEventPattern } from "../support/event-pattern";
import { roleChainedAssumeRole } from "../support/sts-role-chaining";
import { FUNCTION_DESCRIPTIONS, ResolvedTemplate } from "../support/template";

const HOUR = 3600_000;
const DEPLOYMENTS = deployments();

interface Deployed {
  deployment: Deployment;
  config: WatchpostConfig;
  stack: ResolvedTemplate;
}
const deployed = new Map<string, Deployed>();

beforeAll(() => {
  for (const deployment of DEPLOYMENTS) {
    const region = RegionInfo.get(deployment.region);
    const template = synth(deployment.config, { account: ACCOUNT, region: deployment.region }).toJSON();
    deployed.set(deployment.name, {
      deployment,
      config: parseConfig(deployment.config),
      stack: new ResolvedTemplate(template as never, {
        account: ACCOUNT,
        region: deployment.region,
        partition: region.partition!,
        urlSuffix: region.domainSuffix!,
      }),
    });
  }
});

const of = (name: string) => deployed.get(name)!;

describe("STS: the deployed check assumes each role by role chaining", () => {
  const sts = mockClient(STSClient);
  afterAll(() => sts.restore());
  const NOW = new Date("2026-06-01T12:00:00Z");
  /** STS issues the session when it answers; the check reads the expiration a moment later. */
  const ROUND_TRIP_MS = 250;
  /** A bucket that keeps what the probe puts, so the read-back compares equal. */
  const storage = (): StorageSession => {
    const objects = new Map<string, Uint8Array>();
    return {
      headBucket: async () => undefined,
      listObjects: async () => undefined,
      putObject: async (key, body) => {
        objects.set(key, new Uint8Array(body));
      },
      getObject: async (key) => objects.get(key) ?? new Uint8Array(),
      deleteObject: async (key) => {
        objects.delete(key);
      },
    };
  };
  const check = (target: CredentialTarget) => {
    sts.reset();
    sts.on(AssumeRoleCommand).callsFake(roleChainedAssumeRole(() => NOW));
    const caller = { accessKeyId: "AKIAFUNCTIONROLE0001", secretAccessKey: "function-role-secret" };
    return checkCredentialTarget(target, {
      ...awsCredentialProbe({ sts: { credentials: caller }, ambientCredentials: caller }),
      storage,
      now: () => new Date(NOW.getTime() + ROUND_TRIP_MS),
      probeKeyName: () => "probe",
      sleep: async () => undefined,
    });
  };

  const roleTargets = DEPLOYMENTS.flatMap((d) =>
    parseConfig(d.config)
      .credentials.targets.filter((t) => t.roleArn)
      .map((t) => [d.name, t.name, t] as const),
  );

  it.each(roleTargets)("%s, target %s: STS issues a session the check accepts", async (_d, _t, target) => {
    // Act
    const result = await check(target);

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.steps.slice(0, 2).map((s) => [s.step, s.ok])).toEqual([
      ["assume-role", true],
      ["expiration", true],
    ]);
  });

  // The limits the configuration used to accept, run through the same model: it refuses them, as
  // STS would (so the model is not one that lets everything through).
  it.each([
    [
      "a two-hour session",
      { sessionDurationSeconds: 7200 },
      "assume-role",
      "AssumeRole for arn:aws:iam::123456789012:role/agency was refused (ValidationError): the request is invalid for this role: the role ARN is malformed, or the session duration exceeds the role's maximum session duration, or one hour when the caller itself runs in a role session (role chaining, as the deployed check in Lambda does).",
    ],
    [
      "more remaining lifetime than a chained session has",
      { minRemainingSeconds: 3600 },
      "expiration",
      "AssumeRole for arn:aws:iam::123456789012:role/agency returned unusable credentials (ExpiresTooSoon): the credentials expire at 2026-06-01T13:00:00.000Z, only 3599 s from now (at least 3600 s required) — the role's session duration is too short or this host's clock is ahead.",
    ],
  ])("refuses what a Lambda cannot get: %s", async (_case, fields, failedStep, message) => {
    // Prepare: the check-credentials schema, which a workstation with user keys may use
    const target = CredentialTarget.parse({
      name: "agency",
      roleArn: `arn:aws:iam::${ACCOUNT}:role/agency`,
      bucket: "data",
      region: "eu-west-1",
      ...fields,
    });

    // Act
    const result = await check(target);

    // Assess
    expect(result.findings.map((f) => [f.check, f.message])).toEqual([["credentials-unobtainable", message]]);
    expect(result.steps.at(-1)).toMatchObject({ step: failedStep, ok: false });
  });
});

describe("KMS: S3 uses a bucket's key on the caller's behalf in the bucket's region only", () => {
  // S3 User Guide, "Specifying server-side encryption with AWS KMS (SSE-KMS)": the key must be in
  // the bucket's Region; the certificate bucket is in the stack's (checked at synth).
  const keys = DEPLOYMENTS.flatMap((d) => {
    const config = parseConfig(d.config);
    const certificateKey = config.certificates.bucket.kmsKeyArn;
    return [
      ...(certificateKey
        ? [
            [
              d.name,
              "certificate bucket",
              certificateKey,
              config.certificates.bucket.region ?? d.region,
            ] as const,
          ]
        : []),
      ...config.credentials.targets
        .filter((t) => t.kmsKeyArn)
        .map((t) => [d.name, `target ${t.name}`, t.kmsKeyArn!, t.region] as const),
    ];
  });

  it("covers both kinds of SSE-KMS bucket somewhere in the matrix", () => {
    // Assess
    expect(new Set(keys.map(([, what]) => what.split(" ")[0]))).toEqual(new Set(["certificate", "target"]));
  });

  it.each(keys)(
    "%s, %s: key %s is in the bucket's region %s and the stack's partition",
    (name, _what, key, bucketRegion) => {
      // Assess
      expect(regionOfArn(key)).toBe(bucketRegion);
      expect(key.split(":")[1]).toBe(of(name).stack.env.partition);
    },
  );
});

describe("S3 → EventBridge: uploads reach the scan", () => {
  // S3 User Guide, "Using EventBridge" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html):
  // events go to the default event bus of the bucket's Region once the bucket's notification
  // configuration has EventBridgeConfiguration; "EventBridge event message structure" gives the
  // event (source aws.s3, detail-type "Object Created", detail.bucket.name, detail.object.key).
  it.each(DEPLOYMENTS.map((d) => d.name))("%s", (name) => {
    // Prepare
    const { config, stack, deployment } = of(name);
    const bucketConfig = config.certificates.bucket;
    const bucketName = bucketConfig.existingBucketName;
    const scan = stack
      .ofType("AWS::Lambda::Function")
      .find((id) => FUNCTION_DESCRIPTIONS.certificateScan.test(String(stack.properties(id).Description)))!;

    // Act: what the deployed stack turns on, and which rules of which bus see an upload
    const bucketRegion =
      bucketConfig.region ??
      (bucketConfig.kmsKeyArn ? regionOfArn(bucketConfig.kmsKeyArn) : deployment.region);
    const notificationsOn = bucketName
      ? stack
          .ofType("Custom::S3BucketNotifications")
          .map((id) => stack.properties(id))
          .some(
            (p) =>
              p.BucketName === bucketName &&
              p.Managed === false &&
              "EventBridgeConfiguration" in (p.NotificationConfiguration as object),
          )
      : stack.ofType("AWS::S3::Bucket").some(
          (id) =>
            (
              stack.properties(id).NotificationConfiguration as {
                EventBridgeConfiguration?: { EventBridgeEnabled?: boolean };
              }
            )?.EventBridgeConfiguration?.EventBridgeEnabled === true,
        );
    const deliveredBucketName = bucketName ?? stack.ref(stack.ofType("AWS::S3::Bucket")[0]!);
    const { prefixes, keys } = readablePrefixes(config.certificates);
    const uploads = [...prefixes.map((p) => `${p}node1.pem`), ...keys];
    const unrouted = uploads.filter((key) => {
      const event = {
        version: "0",
        source: "aws.s3",
        "detail-type": "Object Created",
        account: ACCOUNT,
        region: bucketRegion,
        resources: [`arn:${stack.env.partition}:s3:::${deliveredBucketName}`],
        detail: {
          version: "0",
          bucket: { name: deliveredBucketName },
          object: { key, size: 1200 },
          reason: "PutObject",
        },
      };
      return !stack.ofType("AWS::Events::Rule").some((id) => {
        const rule = stack.properties(id);
        const onDefaultBus = rule.EventBusName === undefined || rule.EventBusName === "default";
        const toScan = (rule.Targets as { Arn: string }[] | undefined)?.some(
          (t) => t.Arn === stack.getAtt(scan, "Arn"),
        );
        return (
          onDefaultBus &&
          toScan &&
          rule.EventPattern !== undefined &&
          matchesEventPattern(rule.EventPattern as never, event)
        );
      });
    });

    // Assess
    expect({ bucketRegion, notificationsOn, unrouted }).toEqual({
      bucketRegion: deployment.region,
      notificationsOn: true,
      unrouted: [],
    });
  });
});

describe("CloudWatch: the watchdog's alarms on a fresh install", () => {
  /** Data points put before the alarm is created: custom resources it depends on that put metric data. */
  function pointsAtCreation(stack: ResolvedTemplate, alarmId: string, created: number): DataPoint[] {
    const alarm = stack.resources[alarmId]!;
    const metric = metricAlarmOf(stack.properties(alarmId));
    return [alarm.DependsOn ?? []].flat().flatMap((id) => {
      const resource = stack.resources[id];
      if (resource?.Type !== "Custom::AWS") return [];
      const call = JSON.parse(String(stack.properties(id).Create)) as {
        action: string;
        parameters: {
          Namespace: string;
          MetricData: { MetricName: string; Dimensions: { Name: string; Value: string }[]; Value: number }[];
        };
      };
      if (call.action !== "putMetricData" || call.parameters.Namespace !== metric.namespace) return [];
      return call.parameters.MetricData.filter(
        (d) =>
          d.MetricName === metric.metricName &&
          JSON.stringify(Object.fromEntries(d.Dimensions.map((x) => [x.Name, x.Value]))) ===
            JSON.stringify(metric.dimensions),
      ).map((d) => ({ at: created - 1000, value: d.Value }));
    });
  }

  const alarmsOf = (name: string) => {
    const { stack } = of(name);
    return stack
      .ofType("AWS::CloudWatch::Alarm")
      .map((id) => ({ id, alarm: metricAlarmOf(stack.properties(id)) }));
  };
  const created = Date.parse("2026-06-01T01:01:00Z");
  const ranges = (n: number) => [n, n + 2];

  it.each(DEPLOYMENTS.map((d) => d.name))(
    "%s: no alarm goes to ALARM in the first day while nothing has failed",
    (name) => {
      // Act
      const alarming: string[] = [];
      for (const { id, alarm } of alarmsOf(name)) {
        const points = pointsAtCreation(of(name).stack, id, created);
        for (const range of ranges(alarm.evaluationPeriods)) {
          const states = stateHistory(alarm, points, created, created + 24 * HOUR, 10 * 60_000, range);
          const first = states.find((s) => s.state === "ALARM");
          if (first)
            alarming.push(`${id} (range ${range}) at +${((first.at - created) / HOUR).toFixed(2)} h`);
        }
      }

      // Assess
      expect(alarming).toEqual([]);
    },
  );

  it.each(DEPLOYMENTS.map((d) => d.name))(
    "%s: the staleness alarm fires when no scan succeeds, and stays quiet while the daily scan does",
    (name) => {
      // Prepare
      const { stack, config } = of(name);
      const { id, alarm } = alarmsOf(name).find((a) => a.alarm.metricName === "ScanSucceeded")!;
      const marker = pointsAtCreation(stack, id, created);
      // The daily scan at 01:00, the first one the next day (checkAfterDeploy: false, deployed at 01:01).
      const daily = Array.from({ length: 4 }, (_, day) => ({
        at: Date.parse("2026-06-02T01:05:00Z") + day * 24 * HOUR,
        value: 1,
      }));
      const window = config.operations.scanStalenessHours * HOUR;

      // Act
      const states = (points: DataPoint[], range: number): AlarmState[] =>
        stateHistory(alarm, points, created, created + 5 * 24 * HOUR, 10 * 60_000, range).map((s) => s.state);
      const neverScanned = stateHistory(
        alarm,
        marker,
        created,
        created + 3 * 24 * HOUR,
        10 * 60_000,
        alarm.evaluationPeriods + 2,
      );
      const firstAlarm = neverScanned.find((s) => s.state === "ALARM")!.at - created;

      // Assess
      for (const range of ranges(alarm.evaluationPeriods)) {
        expect(states([...marker, ...daily.slice(0, 1)], range).slice(0, 6 * 24 * 2)).not.toContain("ALARM");
        expect(states([...marker, ...daily], range).slice(0, 6 * 24 * 4)).not.toContain("ALARM");
      }
      // Not before the window has passed, and at most the evaluation range (N + 2 periods) after creation.
      const period = alarm.periodSeconds * 1000;
      expect(firstAlarm).toBeGreaterThanOrEqual(window);
      expect(firstAlarm).toBeLessThanOrEqual((alarm.evaluationPeriods + 2) * period + 10 * 60_000);
    },
  );
});
