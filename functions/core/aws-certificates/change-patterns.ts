/**
 * The EventBridge patterns of the events that re-check one AWS item (change-events.ts reads them),
 * as tight as the configuration allows: the kinds configured, their accounts and regions, and for
 * Parameter Store and Secrets Manager the selections' paths and name prefixes (prefix and wildcard
 * matching: EventBridge User Guide, "Comparison operators for use in event patterns"). Plain JSON:
 * the stack's construct (lib/constructs/aws-certificate-events.ts) puts each on a rule, and the
 * tests match documented events against them.
 */
import type { AwsCertificates } from "../config";
import { ACM_EVENT_TYPES, PARAMETER_OPERATIONS, SECRET_CHANGE_CALLS } from "./change-events";

type Pattern = Record<string, unknown>;
type Placed = { accounts?: string[] | undefined; regions: string[] };

export interface ChangePatterns {
  acm?: Pattern;
  ssmParameters?: Pattern;
  secretsManager?: Pattern;
}

/** `ownAccount` may be a deploy-time token: it stands for selections without `accounts`. */
export function changePatterns(selections: AwsCertificates, ownAccount: string): ChangePatterns {
  const place = (of: readonly Placed[]) => ({
    account: sorted(of.flatMap((s) => s.accounts ?? [ownAccount])),
    region: sorted(of.flatMap((s) => s.regions)),
  });
  const patterns: ChangePatterns = {};
  if (selections.acm.length > 0) {
    patterns.acm = { source: ["aws.acm"], "detail-type": [...ACM_EVENT_TYPES], ...place(selections.acm) };
  }
  const { ssmParameters, secretsManager } = selections;
  if (ssmParameters.length > 0) {
    const bases = ssmParameters.map((s) => (s.path.endsWith("/") ? s.path : `${s.path}/`));
    // A selection of the whole store ("/") holds names without a leading '/' too: no name filter.
    const name = bases.includes("/") ? {} : { name: sorted(bases).map((prefix) => ({ prefix })) };
    const pattern = (filter: object) => ({
      source: ["aws.ssm"],
      "detail-type": ["Parameter Store Change"],
      ...place(ssmParameters),
      detail: { operation: [...PARAMETER_OPERATIONS], ...filter },
    });
    patterns.ssmParameters = withinQuota(pattern(name), pattern({}));
  }
  if (secretsManager.length > 0) {
    const prefixes = secretsManager.map((s) => s.namePrefix);
    // A selection by tags alone may hold any name: then no name filter.
    const named = prefixes.every((p): p is string => p !== undefined && p.length > 0);
    const byName = named ? sorted(prefixes).map((prefix) => ({ prefix })) : [];
    // Calls name a secret by name or ARN (secretId), CreateSecret by name; a name holds no '*' or '\'.
    const byArn = named
      ? sorted(prefixes).map((prefix) => ({ wildcard: `arn:*:secretsmanager:*:*:secret:${prefix}*` }))
      : [];
    const pattern = (named: boolean) => ({
      source: ["aws.secretsmanager"],
      "detail-type": ["AWS API Call via CloudTrail"],
      ...place(secretsManager),
      detail: {
        eventSource: ["secretsmanager.amazonaws.com"],
        eventName: [...SECRET_CHANGE_CALLS],
        // A call that failed changed nothing.
        errorCode: [{ exists: false }],
        ...(named && byName.length > 0
          ? {
              $or: [
                { requestParameters: { secretId: [...byName, ...byArn] } },
                { requestParameters: { name: byName } },
              ],
            }
          : {}),
      },
    });
    patterns.secretsManager = withinQuota(pattern(named), pattern(false));
  }
  return patterns;
}

/**
 * EventBridge's default quota on an event pattern is 2,048 characters (EventBridge User Guide,
 * "Amazon EventBridge quotas"; lib/constructs/certificate-store.ts splits S3's by it); past it, the rule goes without the names and
 * the function leaves out what no selection holds (change-events.ts `coverage`). Tokens (the
 * stack's account) count at their placeholder's length, longer than the 12 digits they become.
 */
export const MAX_PATTERN_CHARACTERS = 2048;

function withinQuota(tight: Pattern, loose: Pattern): Pattern {
  return JSON.stringify(tight).length <= MAX_PATTERN_CHARACTERS ? tight : loose;
}

function sorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * What a member account forwards to the watchpost account (lib/member-account-events-stack.ts): the
 * same kinds of events, unfiltered by name, account or region (the member template knows nothing of
 * the configuration; the watchpost account's rules filter them on arrival).
 */
export function forwardedPatterns(): Required<ChangePatterns> {
  return {
    acm: { source: ["aws.acm"], "detail-type": [...ACM_EVENT_TYPES] },
    ssmParameters: {
      source: ["aws.ssm"],
      "detail-type": ["Parameter Store Change"],
      detail: { operation: [...PARAMETER_OPERATIONS] },
    },
    secretsManager: {
      source: ["aws.secretsmanager"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: {
        eventSource: ["secretsmanager.amazonaws.com"],
        eventName: [...SECRET_CHANGE_CALLS],
        errorCode: [{ exists: false }],
      },
    },
  };
}
