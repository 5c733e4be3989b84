/**
 * Secrets Manager secrets that hold certificates: ListSecrets with the name and tag filters (each a
 * case-sensitive prefix match, Filter in the Secrets Manager API reference, so tags are matched
 * exactly here afterwards), and GetSecretValue of the AWSCURRENT version. Only the certificate
 * material of a value leaves this module (core/aws-certificates/secret-material.ts).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html
 */
import {
  type Filter,
  GetSecretValueCommand,
  ListSecretsCommand,
  type ListSecretsCommandOutput,
  type SecretListEntry,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { ListedItem, Listing, MaterialStorePort } from "../../core/aws-certificates/scan-place";
import { certificateMaterial } from "../../core/aws-certificates/secret-material";
import { callFailure, loadFailure } from "./errors";

const MAX_PAGES = 100;

export interface SecretSelectionInput {
  namePrefix?: string | undefined;
  tags?: Record<string, string> | undefined;
}

export function secretsManagerSource(
  client: Pick<SecretsManagerClient, "send">,
  place: Omit<AwsPlace, "kind">,
  selection: SecretSelectionInput,
): MaterialStorePort {
  const where: AwsPlace = { kind: "secrets-manager", ...place };
  const filters: Filter[] = [
    ...(selection.namePrefix ? [{ Key: "name" as const, Values: [selection.namePrefix] }] : []),
    ...Object.keys(selection.tags ?? {}).map((key) => ({ Key: "tag-key" as const, Values: [key] })),
  ];
  return {
    place: where,
    async list(): Promise<Listing> {
      const items: ListedItem[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        let page: ListSecretsCommandOutput;
        try {
          page = await client.send(
            new ListSecretsCommand({
              MaxResults: 100,
              ...(filters.length > 0 ? { Filters: filters } : {}),
              ...(token ? { NextToken: token } : {}),
            }),
          );
        } catch (error) {
          return callFailure(error, `ListSecrets in ${where.account}/${where.region}`);
        }
        for (const entry of page.SecretList ?? []) {
          if (selected(entry, selection)) items.push(listed(where, entry));
        }
        token = page.NextToken;
      } while (token && ++pages < MAX_PAGES);
      return { ok: true, items };
    },
    async load(item) {
      let answer: Awaited<ReturnType<typeof getValue>>;
      try {
        answer = await getValue(client, item.arn);
      } catch (error) {
        return loadFailure(error, `GetSecretValue ${item.arn}`);
      }
      const material = certificateMaterial({
        ...(answer.SecretString !== undefined ? { text: answer.SecretString } : {}),
        ...(answer.SecretBinary !== undefined ? { binary: answer.SecretBinary } : {}),
      });
      return material.ok
        ? { ok: true, bytes: material.bytes, ...(answer.VersionId ? { etag: answer.VersionId } : {}) }
        : { ok: false, reason: material.reason, detail: `the secret ${material.detail}` };
    },
  };
}

function getValue(client: Pick<SecretsManagerClient, "send">, arn: string) {
  return client.send(new GetSecretValueCommand({ SecretId: arn }));
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
function listed(where: AwsPlace, entry: SecretListEntry): ListedItem {
  const current = Object.entries(entry.SecretVersionsToStages ?? {}).find(([, stages]) =>
    stages.includes("AWSCURRENT"),
  );
  return {
    ...where,
    arn: entry.ARN as string,
    name: entry.Name as string,
    // Without a current version (a listing that leaves it out), the last change stands for it.
    version: current
      ? current[0]
      : `changed:${(entry.LastChangedDate ?? entry.CreatedDate)?.toISOString() ?? "unknown"}`,
  };
}
