/**
 * The deployment configuration (`watchpost.config.json`): one definition, validated once where the
 * file enters (the CDK app at synth time), and the source of the JSON Schema shipped in `schemas/`.
 * Every field is documented in docs/configuration.md. Only names of secrets appear here, never values.
 */
import * as z from "zod";
import { Accounts, memberAccountIds } from "./accounts";
import { Alarms } from "./alarms";
import { AwsCertificates } from "./aws-sources";
import { Certificates, readablePrefixes } from "./certificates";
import { Credentials } from "./credentials";
import { Endpoints } from "./endpoints";
import { Hosts } from "./hosts";
import { Notifications } from "./notifications";
import { Operations } from "./operations";
import { Schedules } from "./schedules";

export const WatchpostConfig = z
  .strictObject({
    /** Editors use it to find the JSON Schema; ignored otherwise. */
    $schema: z.string().max(2048).optional(),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, "expected a CloudFormation stack name (letters, digits, '-')")
      .default("Watchpost"),
    certificates: Certificates,
    credentials: Credentials.prefault({}),
    endpoints: Endpoints.prefault({}),
    awsCertificates: AwsCertificates.prefault({}),
    hosts: Hosts.prefault({}),
    schedules: Schedules.prefault({}),
    notifications: Notifications.prefault({}),
    alarms: Alarms.prefault({}),
    operations: Operations.prefault({}),
    accounts: Accounts.prefault({}),
  })
  .superRefine((config, context) => {
    // The stack lets the scan read only the sources' prefixes and the keys they name (the IAM policy).
    const readable = readablePrefixes(config.certificates);
    for (const [index, selection] of config.awsCertificates.acm.entries()) {
      const key = selection.caBundleKey;
      if (
        key === undefined ||
        readable.keys.includes(key) ||
        readable.prefixes.some((p) => key.startsWith(p))
      )
        continue;
      context.addIssue({
        code: "custom",
        path: ["awsCertificates", "acm", index, "caBundleKey"],
        message: `expected a key the certificate scan may read: under a prefix of certificates.sources, or the caBundleKey of a source or peer group ("${key}" is neither)`,
      });
    }
    if (memberAccountIds(config).length > 0 && config.accounts.externalId === undefined) {
      context.addIssue({
        code: "custom",
        path: ["accounts", "externalId"],
        message:
          "expected an external ID: a source names member accounts, and their reader role trusts the scan only with one (docs/member-accounts.md)",
      });
    }
  })
  .meta({
    title: "watchpost configuration",
    description:
      "watchpost.config.json: what the watchpost stack watches and whom it tells. See docs/configuration.md.",
  });

/** The JSON Schema of the file as written (defaults not yet applied), for editors and other tools. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(WatchpostConfig, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

/** A validated configuration with every default applied. */
export type WatchpostConfig = z.infer<typeof WatchpostConfig>;
/** What a configuration file may say before defaults are applied. */
export type WatchpostConfigInput = z.input<typeof WatchpostConfig>;
export type CertificateSource = WatchpostConfig["certificates"]["sources"][number];
export type EndpointTarget = WatchpostConfig["endpoints"]["targets"][number];
export type PeerGroup = WatchpostConfig["certificates"]["peerGroups"][number];
export type Webhook = WatchpostConfig["notifications"]["webhooks"][number];
