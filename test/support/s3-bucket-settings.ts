/**
 * An HTTP front for s3rver that answers the bucket settings s3rver does not implement (it says
 * NotImplemented to `?notification` and reports every bucket in us-east-1): GetBucketLocation and
 * GetBucketNotificationConfiguration, with the XML S3 sends (S3 API Reference, GetBucketLocation
 * and GetBucketNotificationConfiguration, "Response Syntax"), and S3's error bodies for a bucket
 * that does not exist or a caller that may not read the setting. Everything else is s3rver's.
 */
import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client } from "@aws-sdk/client-s3";
import { S3RVER_CREDENTIALS, type S3rverInstance } from "./emulators";

export interface BucketSettings {
  /** Where the bucket is; us-east-1 is answered as S3 does, with an empty LocationConstraint. */
  region: string;
  eventBridge: boolean;
  /** Other notifications the bucket's owner configured, answered alongside EventBridge's. */
  queueArns?: string[];
  /** The caller may not read the bucket's settings (403 AccessDenied). */
  denied?: boolean;
}

export interface S3WithBucketSettings {
  endpoint: string;
  /** Settings by bucket name; a bucket not in the map does not exist (404 NoSuchBucket). */
  readonly buckets: Map<string, BucketSettings>;
  /** A client of the given region pointed at the front, as verify-deployment builds its own. */
  client(region: string): S3Client;
  stop(): Promise<void>;
}

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

export async function startS3WithBucketSettings(s3rver: S3rverInstance): Promise<S3WithBucketSettings> {
  const forward = s3rver.callback();
  const buckets = new Map<string, BucketSettings>();
  const clients: S3Client[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://s3.local");
    const [, bucket, ...rest] = url.pathname.split("/");
    const setting = url.searchParams.has("location")
      ? "location"
      : url.searchParams.has("notification")
        ? "notification"
        : undefined;
    if (request.method !== "GET" || !bucket || rest.join("") !== "" || !setting) {
      forward(request, response);
      return;
    }
    request.resume();
    const settings = buckets.get(decodeURIComponent(bucket));
    if (!settings) return error(response, 404, "NoSuchBucket", "The specified bucket does not exist");
    if (settings.denied) return error(response, 403, "AccessDenied", "Access Denied");
    if (setting === "location") {
      const constraint = settings.region === "us-east-1" ? "" : settings.region;
      return xml(response, `<LocationConstraint xmlns="${XMLNS}">${constraint}</LocationConstraint>`);
    }
    const queues = (settings.queueArns ?? [])
      .map(
        (arn, i) =>
          `<QueueConfiguration><Id>owner-${i}</Id><Queue>${arn}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>`,
      )
      .join("");
    const eventBridge = settings.eventBridge ? "<EventBridgeConfiguration></EventBridgeConfiguration>" : "";
    return xml(
      response,
      `<NotificationConfiguration xmlns="${XMLNS}">${queues}${eventBridge}</NotificationConfiguration>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    buckets,
    client(region) {
      const client = new S3Client({
        endpoint,
        region,
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: S3RVER_CREDENTIALS,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

function xml(response: ServerResponse, body: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  response.writeHead(200, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

function error(response: ServerResponse, status: number, code: string, message: string): void {
  const requestId = randomBytes(8).toString("hex").toUpperCase();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString("base64")}</HostId></Error>`;
  response.writeHead(status, {
    "Content-Type": "application/xml",
    "Content-Length": Buffer.byteLength(body),
    "x-amz-request-id": requestId,
  });
  response.end(body);
}
