/**
 * Which deployment a notification comes from, and links into its AWS console. With two stacks (two
 * accounts, two regions) an on-call engineer must see at a glance which one paged. Account and
 * region are what EventBridge writes into every event's envelope; the stack name is the one the
 * configuration gave the stack (compiled into the function with the configuration).
 */

export interface Deployment {
  stackName: string;
  /** The 12-digit account the alarm event was put in, from the event envelope. */
  account?: string;
  /** The region of the event bus, from the event envelope. */
  region?: string;
}

/** "Watchpost · account 123456789012 · eu-west-1" */
export function deploymentLine(deployment: Deployment): string {
  return [
    deployment.stackName,
    ...(deployment.account ? [`account ${deployment.account}`] : []),
    ...(deployment.region ? [deployment.region] : []),
  ].join(" · ");
}

/** "[Watchpost 123456789012 eu-west-1]": the tag an email subject ends with. */
export function deploymentTag(deployment: Deployment): string {
  return `[${[deployment.stackName, deployment.account, deployment.region].filter(Boolean).join(" ")}]`;
}

/**
 * The console's origin for a region. China and GovCloud regions have consoles of their own; a
 * region-qualified host keeps the console from asking which region to show.
 */
export function consoleOrigin(region: string | undefined): string {
  if (region?.startsWith("cn-")) return "https://console.amazonaws.cn";
  if (region?.startsWith("us-gov-")) return "https://console.amazonaws-us-gov.com";
  return region ? `https://${region}.console.aws.amazon.com` : "https://console.aws.amazon.com";
}

export interface ConsoleLink {
  label: string;
  url: string;
}

/** The object in the S3 console (opens on a phone's browser after sign-in). */
export function s3ObjectLink(bucket: string, key: string, region: string | undefined): ConsoleLink {
  const query = new URLSearchParams({ ...(region ? { region } : {}), prefix: key });
  return {
    label: "Open the object in the S3 console",
    url: `${consoleOrigin(region)}/s3/object/${encodeURIComponent(bucket)}?${query.toString()}`,
  };
}

/** The role in the IAM console of the signed-in account; the label names the role's account. */
export function iamRoleLink(roleArn: string, region: string | undefined): ConsoleLink | undefined {
  const match = /^arn:[\w-]+:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  if (!match) return undefined;
  const [, account, name] = match;
  return {
    label: `Open role ${name} in the IAM console (account ${account})`,
    url: `${consoleOrigin(region)}/iam/home#/roles/details/${encodeURIComponent(name!)}`,
  };
}
