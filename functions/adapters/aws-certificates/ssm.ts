/**
 * Parameter Store parameters that hold certificates: DescribeParameters under a path (and tags),
 * whose Version says whether a parameter changed, then GetParameter with decryption for the ones
 * that did. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeParameters.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ParameterStringFilter.html
 */
import {
  DescribeParametersCommand,
  type DescribeParametersCommandOutput,
  GetParameterCommand,
  type ParameterMetadata,
  type ParameterStringFilter,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { ListedItem, Listing, MaterialStorePort } from "../../core/aws-certificates/scan-place";
import { certificateMaterial } from "../../core/aws-certificates/secret-material";
import { callFailure, loadFailure } from "./errors";

const MAX_PAGES = 200;

export interface ParameterSelectionInput {
  path: string;
  recursive: boolean;
  tags?: Record<string, string> | undefined;
}

export function ssmParameterSource(
  client: Pick<SSMClient, "send">,
  place: Omit<AwsPlace, "kind"> & { partition?: string },
  selection: ParameterSelectionInput,
): MaterialStorePort {
  const where: AwsPlace = { kind: "ssm-parameter", account: place.account, region: place.region };
  const partition = place.partition ?? "aws";
  // The Path filter takes the hierarchy without its trailing '/' ("/" itself stays).
  const path = selection.path.length > 1 ? selection.path.replace(/\/+$/, "") : selection.path;
  const filters: ParameterStringFilter[] = [
    { Key: "Path", Option: selection.recursive ? "Recursive" : "OneLevel", Values: [path] },
    ...Object.entries(selection.tags ?? {}).map(([key, value]) => ({
      Key: `tag:${key}`,
      Option: "Equals",
      Values: [value],
    })),
  ];
  return {
    place: where,
    async list(): Promise<Listing> {
      const items: ListedItem[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        let page: DescribeParametersCommandOutput;
        try {
          page = await client.send(
            new DescribeParametersCommand({
              ParameterFilters: filters,
              MaxResults: 50,
              ...(token ? { NextToken: token } : {}),
            }),
          );
        } catch (error) {
          return callFailure(error, `DescribeParameters in ${where.account}/${where.region}`);
        }
        for (const parameter of page.Parameters ?? []) {
          if (parameter.Name) items.push(listed(where, partition, parameter));
        }
        token = page.NextToken;
      } while (token && ++pages < MAX_PAGES);
      return { ok: true, items };
    },
    async load(item) {
      let value: string | undefined;
      let version: number | undefined;
      try {
        const { Parameter } = await client.send(
          new GetParameterCommand({ Name: item.name, WithDecryption: true }),
        );
        value = Parameter?.Value;
        version = Parameter?.Version;
      } catch (error) {
        return loadFailure(error, `GetParameter ${item.name}`);
      }
      const material = certificateMaterial({ text: value ?? "" });
      return material.ok
        ? { ok: true, bytes: material.bytes, ...(version !== undefined ? { etag: String(version) } : {}) }
        : { ok: false, reason: material.reason, detail: `the parameter ${material.detail}` };
    },
  };
}

function listed(where: AwsPlace, partition: string, parameter: ParameterMetadata): ListedItem {
  const name = parameter.Name as string;
  // ParameterMetadata carries its ARN; the documented form otherwise (a name without a leading '/' gets one).
  const arn =
    parameter.ARN ??
    `arn:${partition}:ssm:${where.region}:${where.account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
  return { ...where, arn, name, version: String(parameter.Version ?? "unknown") };
}
