/**
 * What an AWS event about a certificate store names, and which configured selections must re-check
 * it. Three kinds of events reach the certificate scan (lib/constructs/aws-certificate-events.ts):
 *
 * - ACM's own events (ACM User Guide, "Amazon EventBridge support for ACM"): "ACM Certificate
 *   Approaching Expiration", "ACM Certificate Expired", "ACM Certificate Renewal Action Required",
 *   "ACM Certificate Available"; each names the certificate's ARN in `resources`.
 * - Parameter Store's "Parameter Store Change" (Systems Manager User Guide, "Setting up
 *   notifications or triggering actions based on Parameter Store events"): `detail.name` and
 *   `detail.operation` (Create, Update, Delete).
 * - Secrets Manager's API calls as CloudTrail records them ("AWS API Call via CloudTrail"; Secrets
 *   Manager User Guide, "Match AWS Secrets Manager events with Amazon EventBridge"):
 *   `requestParameters.secretId` (a name or an ARN), or `requestParameters.name` for CreateSecret,
 *   and `responseElements.arn` (`aRN` in records written before February 2024).
 *
 * Everything in an event is text someone else wrote: an ARN or a name is accepted only in the
 * shape AWS gives it, and only for the account and region the event came from. Nothing here
 * decides more than which item to look up; the item is then read as the store holds it now (events
 * come late and out of order, the store does not).
 */

/** One item an event names, in the account and region the event came from. */
export type AwsChange =
  | { kind: "acm"; account: string; region: string; arn: string; reason: string }
  | {
      kind: "secrets-manager";
      account: string;
      region: string;
      /** What GetSecretValue/DescribeSecret take: the name, or the full ARN. */
      secretId: string;
      /** The name, when the event lets it be known (a full ARN or a plain name). */
      name: string | undefined;
      reason: string;
    }
  | { kind: "ssm-parameter"; account: string; region: string; name: string; reason: string };

/** An event that names nothing watchpost can re-check, and why. */
export interface Unusable {
  ignored: string;
}

/** The fields of an AWS event the mapping reads (handlers/certificate-scan/events.ts validates them). */
export interface AwsStoreEvent {
  source: string;
  "detail-type": string;
  account: string;
  region: string;
  resources?: readonly string[] | undefined;
  detail: Record<string, unknown>;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** ACM's certificate ARN (ACM API Reference, "CertificateArn": arn:partition:acm:region:account:certificate/id). */
const ACM_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[A-Za-z0-9-]{1,128}$/;
/** A secret's name: 1-512 characters of letters, digits and /_+=.@- (Secrets Manager API Reference, CreateSecret "Name"). */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A secret's ARN ends in the name, a hyphen and six characters Secrets Manager adds. */
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})-[A-Za-z0-9]{6}$/;
/** A parameter's name (SSM API Reference, PutParameter "Name": up to 1011 characters of a-zA-Z0-9_.-/). */
const PARAMETER_NAME = /^[A-Za-z0-9_.\-/]{1,1011}$/;

/** The Secrets Manager calls that change which value a secret holds, whether it exists, or its tags. */
export const SECRET_CHANGE_CALLS = [
  "CreateSecret",
  "PutSecretValue",
  "UpdateSecret",
  "UpdateSecretVersionStage",
  "RotateSecret",
  "DeleteSecret",
  "RestoreSecret",
  "TagResource",
  "UntagResource",
] as const;

export const ACM_EVENT_TYPES = [
  "ACM Certificate Approaching Expiration",
  "ACM Certificate Expired",
  "ACM Certificate Renewal Action Required",
  "ACM Certificate Available",
  // EventBridge events reference, "AWS Certificate Manager events": ACM also sends these two directly.
  "ACM Certificate Rotated",
  "ACM Certificate Revoked",
] as const;

/** Create, Update and Delete change a parameter's value; LabelParameterVersion does not. */
export const PARAMETER_OPERATIONS = ["Create", "Update", "Delete"] as const;

/** The one item an event names, or why it names none watchpost can look up. */
export function changeOf(event: AwsStoreEvent): AwsChange | Unusable {
  const { account, region } = event;
  if (!ACCOUNT.test(account) || !REGION.test(region)) {
    return { ignored: "the event carries no valid account and region" };
  }
  const type = event["detail-type"];
  if (event.source === "aws.acm") {
    if (!(ACM_EVENT_TYPES as readonly string[]).includes(type))
      return { ignored: `${shown(type)}: not a certificate event` };
    const arn = event.resources?.[0];
    const parts = arn === undefined ? null : ACM_ARN.exec(arn);
    if (!arn || !parts) return { ignored: `${type}: no ACM certificate ARN in resources` };
    if (parts[1] !== region || parts[2] !== account) {
      return { ignored: `${type}: the certificate is not in the event's account and region` };
    }
    return { kind: "acm", account, region, arn, reason: type };
  }
  if (event.source === "aws.ssm") {
    if (type !== "Parameter Store Change") return { ignored: `${shown(type)}: not a parameter change` };
    const operation = text(event.detail.operation);
    if (!operation || !(PARAMETER_OPERATIONS as readonly string[]).includes(operation)) {
      return {
        ignored: `${type}: operation ${operation === undefined ? "(none)" : shown(operation)} changes no value`,
      };
    }
    const name = text(event.detail.name);
    if (!name || !PARAMETER_NAME.test(name)) return { ignored: `${type}: no valid parameter name` };
    return { kind: "ssm-parameter", account, region, name, reason: `${type} (${operation})` };
  }
  if (event.source === "aws.secretsmanager") {
    const call = text(event.detail.eventName) ?? "call";
    if (
      type !== "AWS API Call via CloudTrail" ||
      text(event.detail.eventSource) !== "secretsmanager.amazonaws.com"
    ) {
      return { ignored: `${shown(type)}: not a Secrets Manager API call` };
    }
    if (!(SECRET_CHANGE_CALLS as readonly string[]).includes(call))
      return { ignored: `${shown(call)}: changes no secret` };
    // A call that failed changed nothing (CloudTrail records it with an errorCode).
    if (event.detail.errorCode !== undefined) return { ignored: `${call}: the call failed` };
    const request = record(event.detail.requestParameters);
    const response = record(event.detail.responseElements);
    const answered = [text(response?.arn), text(response?.aRN)].find(
      (a) => a !== undefined && SECRET_ARN.test(a),
    );
    // The ARN the service answered names the secret exactly (a deleted secret can no longer be found by name).
    const given = answered ?? text(request?.secretId) ?? text(request?.name);
    if (!given) return { ignored: `${call}: no secret named in the call` };
    // A partial ARN whose name ends in '-' and six letters or digits reads as a full one here; the
    // look-up then finds no such secret (its alarms stand), and the scheduled scan settles it.
    const arn = SECRET_ARN.exec(given);
    if (arn) {
      if (arn[1] !== region || arn[2] !== account) {
        return { ignored: `${call}: the secret is not in the event's account and region` };
      }
      return { kind: "secrets-manager", account, region, secretId: given, name: arn[3], reason: call };
    }
    // A name, or a partial ARN (Secrets Manager accepts one): the name is then known only once looked up.
    if (given.startsWith("arn:")) {
      const partial =
        given.length > 2048
          ? null
          : /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[A-Za-z0-9/_+=.@-]+$/.exec(given);
      if (!partial) return { ignored: `${call}: not a secret ARN` };
      // Held to the event's account and region like a full ARN: a call made across accounts would
      // otherwise have the secret looked up, and recorded, as if it were in the event's own account.
      if (partial[1] !== region || partial[2] !== account) {
        return { ignored: `${call}: the secret is not in the event's account and region` };
      }
      return { kind: "secrets-manager", account, region, secretId: given, name: undefined, reason: call };
    }
    if (!SECRET_NAME.test(given)) return { ignored: `${call}: not a secret name` };
    return { kind: "secrets-manager", account, region, secretId: given, name: given, reason: call };
  }
  return { ignored: "not an event of ACM, Parameter Store or Secrets Manager" };
}

/** Whether a selection reads this item; else why not (said in the log, never raised). */
export type Coverage = { covered: true } | { covered: false; reason: string };

type Placed = { accounts?: string[] | undefined; regions: string[] };

/**
 * Whether one selection of the change's kind reads the change's item, as far as the event tells
 * (account, region, name prefix, path); tags are known only once the item is looked up.
 */
export function coverage(
  change: AwsChange,
  selection: Placed & { namePrefix?: string | undefined; path?: string; recursive?: boolean },
  ownAccount: string,
): Coverage {
  const accounts = selection.accounts ?? [ownAccount];
  if (!accounts.includes(change.account))
    return { covered: false, reason: `account ${change.account} is not read` };
  if (!selection.regions.includes(change.region)) {
    return { covered: false, reason: `region ${change.region} is not read` };
  }
  if (change.kind === "secrets-manager" && selection.namePrefix && change.name !== undefined) {
    if (!change.name.startsWith(selection.namePrefix)) {
      return { covered: false, reason: `the name is not under the prefix ${selection.namePrefix}` };
    }
  }
  if (change.kind === "ssm-parameter" && selection.path !== undefined) {
    if (!underPath(change.name, selection.path, selection.recursive ?? true)) {
      return { covered: false, reason: `the parameter is not under the path ${selection.path}` };
    }
  }
  return { covered: true };
}

/**
 * Whether a parameter is in a selection's hierarchy, as DescribeParameters' Path filter reads it
 * (SSM API Reference, ParameterStringFilter: `Recursive` includes every level below, `OneLevel`
 * only the level itself). A name without a leading '/' sits at the root.
 */
export function underPath(name: string, path: string, recursive: boolean): boolean {
  const base = path.endsWith("/") ? path : `${path}/`;
  const full = name.startsWith("/") ? name : `/${name}`;
  if (!full.startsWith(base)) return false;
  return recursive || !full.slice(base.length).includes("/");
}

/** Event text in a log line's reason: quoted, and no longer than a detail-type or call name can be. */
function shown(value: string): string {
  return JSON.stringify(value.length > 128 ? `${value.slice(0, 128)}…` : value);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 && value.length <= 2048 ? value : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
