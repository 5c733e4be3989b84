/**
 * Why a member account could not be read, in words an operator can act on. Pure: the adapter
 * reduces the STS error to facts (core/credentials/failure.ts keeps only codes, statuses and errnos,
 * never the raw message, which could echo request data), and this names the likely cause. What an
 * unreachable account means for alarms is the caller's rule: nothing of that account is cleared.
 */
import { describeFailure, type FailureFacts, isThrottling } from "../credentials/failure";

export type UnreachableReason =
  | "trust-refused"
  | "region-disabled"
  | "caller-expired"
  | "throttled"
  | "network"
  | "refused";

export interface AccountUnreachable {
  reachable: false;
  account: string;
  reason: UnreachableReason;
  /** Names the account, the role and the cause; never the external ID or the caller's credentials. */
  message: string;
}

/** STS error codes without the SDK's "Exception" suffix (the wire code and the class name differ). */
const code = (facts: FailureFacts) => facts.code?.replace(/Exception$/, "");

export function accountUnreachable(
  facts: FailureFacts,
  account: string,
  roleName: string,
): AccountUnreachable {
  const role = `role ${roleName} in account ${account}`;
  const what = describeFailure(facts);
  const [reason, cause]: [UnreachableReason, string] = (() => {
    if (isThrottling(facts))
      return ["throttled", "STS throttled the scan's AssumeRole calls; the next scan tries again"];
    if (facts.kind === "network" || facts.kind === "timeout")
      return ["network", "STS could not be reached from the scan function (network or timeout)"];
    switch (code(facts)) {
      // STS answers AccessDenied alike for a missing role, a trust policy that does not name the
      // scan role, and a wrong external ID (STS API Reference, AssumeRole, "Errors"; IAM User Guide,
      // "Troubleshooting IAM roles": "not authorized to perform: sts:AssumeRole").
      case "AccessDenied":
        return [
          "trust-refused",
          "the reader role is missing, does not trust the scan role, or expects another external ID; deploy the member-account StackSet to this account with the stack's external ID (docs/member-accounts.md)",
        ];
      case "RegionDisabled":
        return [
          "region-disabled",
          'STS is not activated in the scan\'s Region for this account (IAM User Guide, "Activating and deactivating AWS STS in an AWS Region")',
        ];
      case "ExpiredToken":
        return [
          "caller-expired",
          "the scan function's own session expired; the next invocation gets a new one",
        ];
      default:
        return ["refused", "STS refused the AssumeRole call"];
    }
  })();
  return {
    reachable: false,
    account,
    reason,
    message: `account ${account} not reachable: could not assume ${role} (${what}): ${cause}. Nothing of this account was re-checked or cleared in this run`,
  };
}
