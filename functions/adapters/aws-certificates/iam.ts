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
  type ListServerCertificatesCommandOutput,
} from "@aws-sdk/client-iam";
import { type AwsPlace, IAM_REGION } from "../../core/aws-certificates/location";
import type { ListedItem, Listing, MaterialStorePort } from "../../core/aws-certificates/scan-place";
import { callFailure, loadFailure } from "./errors";

const MAX_PAGES = 100;

export function iamServerCertificateSource(
  client: Pick<IAMClient, "send">,
  place: { account: string },
  selection: { pathPrefix: string },
): MaterialStorePort {
  const where: AwsPlace = { kind: "iam-server-certificate", account: place.account, region: IAM_REGION };
  return {
    place: where,
    async list(): Promise<Listing> {
      const items: ListedItem[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        let page: ListServerCertificatesCommandOutput;
        try {
          page = await client.send(
            new ListServerCertificatesCommand({
              PathPrefix: selection.pathPrefix,
              MaxItems: 1000,
              ...(marker ? { Marker: marker } : {}),
            }),
          );
        } catch (error) {
          return callFailure(error, `ListServerCertificates in ${where.account}`);
        }
        for (const meta of page.ServerCertificateMetadataList ?? []) {
          if (!meta.Arn || !meta.ServerCertificateName) continue;
          items.push({
            ...where,
            arn: meta.Arn,
            name: meta.ServerCertificateName,
            version: `${meta.ServerCertificateId}|${meta.UploadDate?.toISOString() ?? ""}`,
          });
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker && ++pages < MAX_PAGES);
      return { ok: true, items };
    },
    async load(item) {
      try {
        const { ServerCertificate } = await client.send(
          new GetServerCertificateCommand({ ServerCertificateName: item.name }),
        );
        const pem = [ServerCertificate?.CertificateBody, ServerCertificate?.CertificateChain]
          .filter((p) => p !== undefined)
          .join("\n");
        return { ok: true, bytes: new Uint8Array(Buffer.from(pem, "utf8")) };
      } catch (error) {
        return loadFailure(error, `GetServerCertificate ${item.name}`);
      }
    },
  };
}
