/**
 * Parameter Store parameters that hold certificates: DescribeParameters under a path (and tags),
 * whose Version says whether a parameter changed, then GetParameter with decryption for the ones
 * that did. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeParameters.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ParameterStringFilter.html
 */
import {
  DescribeParametersCommand,
  GetParameterCommand,
  type ParameterMetadata,
  type ParameterStringFilter,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { AwsPlace } from "../../core/aws-certificates/location";
import type { SourceAdapter } from "../../core/scan/source-adapter";
import { materialSource, type PasswordReader } from "./material";
import { lookupFailure, outsideOf } from "./one-item";
import { listPages } from "./pages";
import { type AwsListedItem, listedItem, scopeOf } from "./source";

const MAX_PAGES = 200;

export interface ParameterSelectionInput {
  path: string;
  recursive: boolean;
  tags?: Record<string, string> | undefined;
  expectedHostnames?: string[] | undefined;
  parameters?: Record<string, string> | undefined;
}

export function ssmParameterSource(
  client: Pick<SSMClient, "send">,
  place: Omit<AwsPlace, "kind"> & { partition?: string },
  selection: ParameterSelectionInput,
  password?: PasswordReader,
): SourceAdapter<AwsListedItem> {
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
  return materialSource({
    kind: "ssm",
    where,
    scope: scopeOf(where, selection.path.replace(/^\//, ""), selection.tags),
    selection,
    password,
    async *list() {
      const pages = listPages(
        { action: "ssm:DescribeParameters", where, maxPages: MAX_PAGES },
        (token) =>
          client.send(
            new DescribeParametersCommand({
              ParameterFilters: filters,
              MaxResults: 50,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        (page) => page.NextToken,
      );
      for await (const page of pages) {
        for (const parameter of page.Parameters ?? []) {
          if (parameter.Name && parameter.Name !== password?.holder?.parameterName)
            yield listed(where, partition, parameter);
        }
      }
    },
    readCall: "GetParameter",
    async read(item) {
      const { Parameter } = await client.send(
        new GetParameterCommand({ Name: item.item.name, WithDecryption: true }),
      );
      return {
        text: Parameter?.Value ?? "",
        version: Parameter?.Version !== undefined ? String(Parameter.Version) : undefined,
      };
    },
    async listOne(change) {
      const outside = outsideOf(where, change, { path: selection.path, recursive: selection.recursive });
      if (outside !== undefined || change.kind !== "ssm-parameter") {
        return { state: "elsewhere", reason: outside ?? "" };
      }
      const uri = parameterArn(where, partition, change.name);
      if (change.name === password?.holder?.parameterName) {
        return { state: "unselected", reason: "the parameter holds the selection's PKCS#12 password" };
      }
      const named = { Key: "Name", Option: "Equals", Values: [change.name] };
      const describe = async (withTags: boolean) => {
        const { Parameters = [] } = await client.send(
          new DescribeParametersCommand({
            ParameterFilters: [named, ...(withTags ? filters.slice(1) : [])],
            MaxResults: 50,
          }),
        );
        return Parameters.find((p) => p.Name === change.name);
      };
      try {
        const found = await describe(false);
        if (!found) return { state: "absent", uri };
        if (selection.tags && !(await describe(true))) {
          return { state: "unselected", reason: "the parameter does not carry the selection's tags" };
        }
        return { state: "listed", item: listed(where, partition, found) };
      } catch (error) {
        return lookupFailure(error, `DescribeParameters ${change.name}`, undefined);
      }
    },
  });
}

/** The documented form of a parameter's ARN (a name without a leading '/' gets one). */
function parameterArn(where: AwsPlace, partition: string, name: string): string {
  return `arn:${partition}:ssm:${where.region}:${where.account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
}

function listed(where: AwsPlace, partition: string, parameter: ParameterMetadata): AwsListedItem {
  const name = parameter.Name as string;
  // ParameterMetadata carries its ARN; the documented form otherwise (a name without a leading '/' gets one).
  const arn = parameter.ARN ?? parameterArn(where, partition, name);
  return listedItem(
    { ...where, arn, name },
    parameter.Version !== undefined ? String(parameter.Version) : undefined,
  );
}
