/**
 * IAM server certificates: ListServerCertificates under a path prefix (Marker / IsTruncated), and
 * GetServerCertificate for the ones whose ServerCertificateId or UploadDate changed.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServerCertificates.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServerCertificate.html
 */
import {
  GetServerCertificateCommand,
  type IAMClient,
  ListServerCertificatesCommand,
} from "@aws-sdk/client-iam";
import { type AwsPlace, IAM_REGION } from "../../core/aws-certificates/location";
import type { SourceAdapter } from "../../core/scan/source-adapter";
import { loadFailure } from "./errors";
import { listPages } from "./pages";
import { type AwsListedItem, awsItemMethods, listedItem, placeParameters, scopeOf } from "./source";

const MAX_PAGES = 100;

export interface IamSelectionInput {
  pathPrefix: string;
  expectedHostnames?: string[] | undefined;
  parameters?: Record<string, string> | undefined;
}

export function iamServerCertificateSource(
  client: Pick<IAMClient, "send">,
  place: { account: string },
  selection: IamSelectionInput,
): SourceAdapter<AwsListedItem> {
  const where: AwsPlace = { kind: "iam-server-certificate", account: place.account, region: IAM_REGION };
  return {
    kind: "iam",
    scope: scopeOf(where, selection.pathPrefix.replace(/^\//, "")),
    parameters: placeParameters(where),
    ...awsItemMethods(selection.parameters),
    async *list() {
      const pages = listPages(
        { action: "iam:ListServerCertificates", where, maxPages: MAX_PAGES },
        (marker) =>
          client.send(
            new ListServerCertificatesCommand({
              PathPrefix: selection.pathPrefix,
              MaxItems: 1000,
              ...(marker ? { Marker: marker } : {}),
            }),
          ),
        (page) => (page.IsTruncated ? page.Marker : undefined),
      );
      for await (const page of pages) {
        for (const meta of page.ServerCertificateMetadataList ?? []) {
          if (!meta.Arn || !meta.ServerCertificateName) continue;
          yield listedItem(
            { ...where, arn: meta.Arn, name: meta.ServerCertificateName },
            `${meta.ServerCertificateId}|${meta.UploadDate?.toISOString() ?? ""}`,
          );
        }
      }
    },
    async fetch(item) {
      try {
        const { ServerCertificate } = await client.send(
          new GetServerCertificateCommand({ ServerCertificateName: item.item.name }),
        );
        const pem = [ServerCertificate?.CertificateBody, ServerCertificate?.CertificateChain]
          .filter((p) => p !== undefined)
          .join("\n");
        return { ok: true, bytes: new Uint8Array(Buffer.from(pem, "utf8")) };
      } catch (error) {
        return loadFailure(error, `GetServerCertificate ${item.item.name}`);
      }
    },
    ...(selection.expectedHostnames ? { expectedHosts: () => selection.expectedHostnames } : {}),
  };
}
