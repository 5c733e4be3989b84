/**
 * One item an event names, looked up by the Secrets Manager and Parameter Store adapters
 * (SourceAdapter.listOne) and re-checked through core/scan/item-recheck.ts: what the run then says
 * (examined, version, complete, error) for each answer the store can give. Answers are built from
 * the API references' fields (DescribeSecret: ARN, Name, Tags, VersionIdsToStages, DeletedDate;
 * DescribeParameters: Parameters), failures raised as the SDK's own exception classes.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { secretsManagerSource } from "../../../functions/adapters/aws-certificates/secrets-manager";
import { ssmParameterSource } from "../../../functions/adapters/aws-certificates/ssm";
import { ABSENT } from "../../../functions/core/alarms/evidence";
import type { AwsChange } from "../../../functions/core/aws-certificates/change-events";
import { recheckItem } from "../../../functions/core/scan/item-recheck";
import { scanContext } from "../../support/aws-sources";
import { issue } from "../../support/pki";

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const WHERE = { account: "111122223333", region: "eu-west-1" };
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tls/kafka-broker-AbCdEf";
const PARAMETER_ARN = "arn:aws:ssm:eu-west-1:111122223333:parameter/tls/kafka";
const NOW = new Date();
const meta = { $metadata: {}, message: "from the service" };
const secretChange: AwsChange = {
  kind: "secrets-manager",
  ...WHERE,
  secretId: SECRET_ARN,
  name: "tls/kafka-broker",
  reason: "PutSecretValue",
};
const parameterChange: AwsChange = {
  kind: "ssm-parameter",
  ...WHERE,
  name: "/tls/kafka",
  reason: "Parameter Store Change (Update)",
};

beforeEach(() => {
  sm.reset();
  ssm.reset();
});

const secrets = () =>
  secretsManagerSource(new SecretsManagerClient({ region: "eu-west-1", maxAttempts: 1 }), WHERE, {
    namePrefix: "tls/",
    tags: { team: "streaming" },
  });
const parameters = () =>
  ssmParameterSource(new SSMClient({ region: "eu-west-1", maxAttempts: 1 }), WHERE, {
    path: "/tls/",
    recursive: true,
    tags: { team: "streaming" },
  });

/** What the run of a re-check says, or why the scope had nothing to do with the item. */
async function outcomeOf(adapter: Parameters<typeof recheckItem>[0], change: AwsChange) {
  const result = await recheckItem(adapter, change, scanContext(NOW));
  if ("skipped" in result) return { skipped: result.skipped, outside: result.outside };
  const { run, error, unexamined } = result.checked;
  return {
    complete: run.complete,
    examined: run.examinedSources,
    versions: Object.fromEntries(run.versions?.seen ?? []),
    findings: run.findings.map((f) => [f.check, f.source]),
    unexamined: unexamined ?? [],
    error,
  };
}

describe("one secret an event names", () => {
  it("is judged as its current version when it carries the selection's tags", async () => {
    // Prepare
    const leaf = await issue({
      subject: "CN=kafka-1.example.com",
      notAfter: new Date(NOW.getTime() - 86_400_000),
    });
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ARN,
      Name: "tls/kafka-broker",
      Tags: [{ Key: "team", Value: "streaming" }],
      VersionIdsToStages: { "v-2": ["AWSCURRENT"], "v-1": ["AWSPREVIOUS"] },
    });
    sm.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, VersionId: "v-2", SecretString: leaf.pem });

    // Act & Assess
    expect(await outcomeOf(secrets(), secretChange)).toEqual({
      complete: false,
      examined: [SECRET_ARN],
      versions: { [SECRET_ARN]: "v-2" },
      findings: [["expired", `${SECRET_ARN}#0`]],
      unexamined: [],
      error: undefined,
    });
  });

  it.each([
    [
      "scheduled for deletion: absent, its alarms clear",
      () =>
        sm
          .on(DescribeSecretCommand)
          .resolves({ ARN: SECRET_ARN, Name: "tls/kafka-broker", DeletedDate: NOW }),
      {
        complete: false,
        examined: [SECRET_ARN],
        versions: { [SECRET_ARN]: ABSENT },
        findings: [],
        unexamined: [],
        error: undefined,
      },
    ],
    [
      "deleted for good (ResourceNotFoundException): absent",
      () => sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException(meta)),
      {
        complete: false,
        examined: [SECRET_ARN],
        versions: { [SECRET_ARN]: ABSENT },
        findings: [],
        unexamined: [],
        error: undefined,
      },
    ],
    [
      "an internal service error: not examined, its alarms stand",
      () => sm.on(DescribeSecretCommand).rejects(new InternalServiceError(meta)),
      {
        complete: false,
        examined: [],
        versions: {},
        findings: [],
        unexamined: [SECRET_ARN],
        error: `${SECRET_ARN} could not be looked up (DescribeSecret ${SECRET_ARN}: InternalServiceError); its alarms stand until it can be`,
      },
    ],
    [
      "without the selection's tags: outside it, nothing settled",
      () =>
        sm.on(DescribeSecretCommand).resolves({
          ARN: SECRET_ARN,
          Name: "tls/kafka-broker",
          Tags: [{ Key: "team", Value: "payments" }],
          VersionIdsToStages: { "v-2": ["AWSCURRENT"] },
        }),
      {
        skipped:
          "secretsmanager://111122223333/eu-west-1/tls/?team=streaming: the secret does not carry the selection's tags",
        outside: false,
      },
    ],
    [
      "a secret of another account (a partial ARN resolved across accounts): outside, nothing settled",
      () =>
        sm.on(DescribeSecretCommand).resolves({
          ARN: SECRET_ARN.replace("111122223333", "999988887777"),
          Name: "tls/kafka-broker",
          Tags: [{ Key: "team", Value: "streaming" }],
          VersionIdsToStages: { "v-2": ["AWSCURRENT"] },
        }),
      {
        skipped: "the secret is not in this account and region",
        outside: true,
      },
    ],
  ])("%s", async (_case, answer, expected) => {
    // Prepare
    answer();

    // Act & Assess
    expect(await outcomeOf(secrets(), secretChange)).toEqual(expected);
    expect(sm.commandCalls(GetSecretValueCommand)).toEqual([]);
  });

  it("outside the name prefix, or in another region: no call at all", async () => {
    // Act
    const other = await outcomeOf(secrets(), {
      ...secretChange,
      secretId: "db/password",
      name: "db/password",
    });
    const elsewhere = await outcomeOf(secrets(), { ...secretChange, region: "us-east-1" });

    // Assess
    expect([other, elsewhere]).toEqual([
      { skipped: "the name is not under the prefix tls/", outside: true },
      { skipped: "region us-east-1 is not read", outside: true },
    ]);
    expect(sm.calls()).toEqual([]);
  });
});

describe("one parameter an event names", () => {
  it.each([
    [
      "deleted (no parameter of that name): absent",
      () => ssm.on(DescribeParametersCommand).resolves({ Parameters: [] }),
      {
        complete: false,
        examined: [PARAMETER_ARN],
        versions: { [PARAMETER_ARN]: ABSENT },
        findings: [],
        unexamined: [],
        error: undefined,
      },
    ],
    [
      "there, but without the selection's tags: outside it",
      () =>
        ssm
          .on(DescribeParametersCommand)
          .callsFake(({ ParameterFilters = [] }: { ParameterFilters?: { Key: string }[] }) => ({
            Parameters: ParameterFilters.some((f) => f.Key.startsWith("tag:"))
              ? []
              : [{ Name: "/tls/kafka", ARN: PARAMETER_ARN, Version: 4 }],
          })),
      {
        skipped:
          "ssm://111122223333/eu-west-1/tls/?team=streaming: the parameter does not carry the selection's tags",
        outside: false,
      },
    ],
  ])("%s", async (_case, answer, expected) => {
    // Prepare
    answer();

    // Act & Assess
    expect(await outcomeOf(parameters(), parameterChange)).toEqual(expected);
    expect(ssm.commandCalls(GetParameterCommand)).toEqual([]);
  });
});
