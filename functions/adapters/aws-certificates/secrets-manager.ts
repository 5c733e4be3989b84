/**
 * Secrets Manager secrets that hold certificates: ListSecrets with the name and tag filters (each a
 * case-sensitive prefix match, Filter in the Secrets Manager API reference, so tags are matched
 * exactly here afterwards), and GetSecretValue of the AWSCURRENT version, whose VersionId the
 * listing already names (SecretVersionsToStages): an unchanged secret is judged from the inventory
 * without reading its value. Only the certificate material of a value goes on (material.ts).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html
 */
import {
  DescribeSecretCommand,
  type Filter,
  GetSecretValueCommand,
  ListSecretsCommand,
  type SecretListEntry,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { SourceAdapter } from "../../core/scan/source-adapter";
import { materialSource, type PasswordReader } from "./material";
import { lookupFailure, outsideOf } from "./one-item";
import { listPages } from "./pages";
import { type AwsListedItem, listedItem, scopeOf } from "./source";

export type { PasswordReader } from "./material";

const MAX_PAGES = 100;

export interface SecretSelectionInput {
  namePrefix?: string | undefined;
  tags?: Record<string, string> | undefined;
  expectedHostnames?: string[] | undefined;
  parameters?: Record<string, string> | undefined;
}

export function secretsManagerSource(
  client: Pick<SecretsManagerClient, "send">,
  place: Omit<AwsPlace, "kind">,
  selection: SecretSelectionInput,
  password?: PasswordReader,
): SourceAdapter<AwsListedItem> {
  const where: AwsPlace = { kind: "secrets-manager", ...place };
  const filters: Filter[] = [
    ...(selection.namePrefix ? [{ Key: "name" as const, Values: [selection.namePrefix] }] : []),
    ...Object.keys(selection.tags ?? {}).map((key) => ({ Key: "tag-key" as const, Values: [key] })),
  ];
  return materialSource({
    kind: "secretsmanager",
    where,
    scope: scopeOf(where, selection.namePrefix ?? "", selection.tags),
    selection,
    password,
    async *list() {
      const pages = listPages(
        { action: "secretsmanager:ListSecrets", where, maxPages: MAX_PAGES },
        (token) =>
          client.send(
            new ListSecretsCommand({
              MaxResults: 100,
              ...(filters.length > 0 ? { Filters: filters } : {}),
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        (page) => page.NextToken,
      );
      for await (const page of pages) {
        for (const entry of page.SecretList ?? []) {
          if (selected(entry, selection) && entry.Name !== password?.holder?.secretName)
            yield listed(where, entry);
        }
      }
    },
    readCall: "GetSecretValue",
    async read(item) {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: item.key }));
      return { text: answer.SecretString, binary: answer.SecretBinary, version: answer.VersionId };
    },
    // DescribeSecret, not ListSecrets: the listing may not show changes of the last minutes (Secrets
    // Manager API Reference, ListSecrets), and this look-up follows a change by seconds.
    async listOne(change) {
      const outside = outsideOf(where, change, { namePrefix: selection.namePrefix });
      if (outside !== undefined || change.kind !== "secrets-manager") {
        return { state: "elsewhere", reason: outside ?? "" };
      }
      const arn =
        change.secretId.startsWith("arn:") && change.name !== undefined ? change.secretId : undefined;
      let entry: SecretListEntry;
      try {
        const described = await client.send(new DescribeSecretCommand({ SecretId: change.secretId }));
        entry = { ...described, SecretVersionsToStages: described.VersionIdsToStages };
      } catch (error) {
        return lookupFailure(error, `DescribeSecret ${change.secretId}`, arn);
      }
      if (!entry.ARN || !entry.Name)
        return { state: "failed", uri: change.secretId, detail: "DescribeSecret: no ARN" };
      // The secret DescribeSecret found must be this place's: an ARN naming another account reaches
      // that account's secret when its policy allows, and would be recorded under this scope.
      if (
        !entry.ARN.startsWith(`arn:`) ||
        !entry.ARN.includes(`:secretsmanager:${where.region}:${where.account}:secret:`)
      ) {
        return { state: "elsewhere", reason: "the secret is not in this account and region" };
      }
      if (entry.DeletedDate) return { state: "absent", uri: entry.ARN };
      if (selection.namePrefix && !entry.Name.startsWith(selection.namePrefix)) {
        return { state: "elsewhere", reason: `the name is not under the prefix ${selection.namePrefix}` };
      }
      if (entry.Name === password?.holder?.secretName) {
        return { state: "unselected", reason: "the secret holds the selection's PKCS#12 password" };
      }
      if (!selected(entry, selection)) {
        return { state: "unselected", reason: "the secret does not carry the selection's tags" };
      }
      return { state: "listed", item: listed(where, entry) };
    },
  });
}

function selected(entry: SecretListEntry, selection: SecretSelectionInput): boolean {
  if (!entry.ARN || !entry.Name) return false;
  // A secret scheduled for deletion can no longer be read (GetSecretValue refuses it).
  if (entry.DeletedDate) return false;
  if (selection.namePrefix && !entry.Name.startsWith(selection.namePrefix)) return false;
  const tags = entry.Tags ?? [];
  return Object.entries(selection.tags ?? {}).every(([key, value]) =>
    tags.some((tag) => tag.Key === key && (tag.Value ?? "") === value),
  );
}

/** The version the secret's value is now: the one with the AWSCURRENT stage (ListSecrets' SecretVersionsToStages). */
function listed(where: AwsPlace, entry: SecretListEntry): AwsListedItem {
  const current = Object.entries(entry.SecretVersionsToStages ?? {}).find(([, stages]) =>
    stages.includes("AWSCURRENT"),
  );
  // Without it the listing cannot say the value is unchanged: the secret is read on every scan.
  return listedItem({ ...where, arn: entry.ARN as string, name: entry.Name as string }, current?.[0]);
}
