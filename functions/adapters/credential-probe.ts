/**
 * Real STS and S3 clients behind the credential check's ports (functions/core/credentials/ports.ts).
 * Clients are created once per target configuration and reused across runs; the S3 client of a
 * target is replaced only when its temporary access key changes. The SDK retries nothing here
 * (maxAttempts 1): the core owns retries (throttling, with backoff) and timeouts.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import type {
  CredentialCheckDeps,
  CredentialLogger,
  StorageSession,
  TemporaryCredentials,
} from "../core/credentials/ports";
import type { CredentialTarget } from "../core/credentials/target";

export interface AwsCredentialProbeOptions {
  /** Overrides merged into every STS client's configuration (e.g. the caller's own credentials). */
  sts?: Partial<STSClientConfig>;
  stsClientFactory?: (config: STSClientConfig) => STSClient;
  /** Overrides merged into every S3 client's configuration; temporary credentials always win. */
  s3?: Partial<S3ClientConfig>;
  s3ClientFactory?: (config: S3ClientConfig) => S3Client;
  /** Credentials for targets without a role ARN; the SDK's default chain when absent. */
  ambientCredentials?: S3ClientConfig["credentials"];
  /** Where the SDK looks for the caller's credentials (core/credentials/search.ts), for messages. */
  credentialSearch?: string;
  logger?: CredentialLogger;
}

export interface AwsCredentialProbe extends CredentialCheckDeps {
  /** Releases every client's sockets (a CLI run ends; Lambda keeps them warm). */
  close(): void;
}

/** A missing piece of an otherwise successful AssumeRole answer; carries no request data. */
class IncompleteAssumeRoleResponse extends Error {
  override readonly name = "IncompleteAssumeRoleResponse";
}

/**
 * The SDK has no request timeout by default; these make a silent peer fail at the socket level too,
 * in addition to the core's AbortSignal.
 */
function requestHandlerFor(timeoutMs: number) {
  return { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true };
}

export function awsCredentialProbe(options: AwsCredentialProbeOptions = {}): AwsCredentialProbe {
  const stsClients = new Map<string, STSClient>();
  const s3Clients = new Map<string, { accessKeyId: string | undefined; client: S3Client }>();
  const makeSts = options.stsClientFactory ?? ((config: STSClientConfig) => new STSClient(config));
  const makeS3 = options.s3ClientFactory ?? ((config: S3ClientConfig) => new S3Client(config));

  function stsFor(target: CredentialTarget): STSClient {
    const key = JSON.stringify([target.region, target.stsEndpoint, target.timeoutMs]);
    let client = stsClients.get(key);
    if (!client) {
      client = makeSts({
        region: target.region,
        maxAttempts: 1,
        requestHandler: requestHandlerFor(target.timeoutMs),
        ...(target.stsEndpoint ? { endpoint: target.stsEndpoint } : {}),
        ...options.sts,
      });
      stsClients.set(key, client);
    }
    return client;
  }

  function s3For(target: CredentialTarget, credentials: TemporaryCredentials | undefined): S3Client {
    const key = JSON.stringify([
      target.name,
      target.region,
      target.s3Endpoint,
      target.forcePathStyle,
      target.timeoutMs,
      target.roleArn,
    ]);
    const cached = s3Clients.get(key);
    if (cached && cached.accessKeyId === credentials?.accessKeyId) return cached.client;
    cached?.client.destroy();
    const ambient = options.ambientCredentials ?? options.s3?.credentials;
    const client = makeS3({
      region: target.region,
      maxAttempts: 1,
      requestHandler: requestHandlerFor(target.timeoutMs),
      // S3-compatible stores reject or mangle the newer default checksums; the probe needs none.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...(target.s3Endpoint ? { endpoint: target.s3Endpoint } : {}),
      ...(target.forcePathStyle !== undefined ? { forcePathStyle: target.forcePathStyle } : {}),
      ...options.s3,
      ...(credentials
        ? {
            credentials: {
              accessKeyId: credentials.accessKeyId,
              secretAccessKey: credentials.secretAccessKey,
              ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
              ...(credentials.expiration ? { expiration: credentials.expiration } : {}),
            },
          }
        : ambient
          ? { credentials: ambient }
          : {}),
    });
    s3Clients.set(key, { accessKeyId: credentials?.accessKeyId, client });
    options.logger?.debug("created S3 client", {
      target: target.name,
      region: target.region,
      endpoint: target.s3Endpoint,
    });
    return client;
  }

  return {
    logger: options.logger,
    ...(options.credentialSearch ? { credentialSearch: options.credentialSearch } : {}),
    async resolveAmbientCredentials(target) {
      // The client's credential provider is the SDK's default chain (or the given credentials):
      // calling it loads them as the first request would, and throws CredentialsProviderError when
      // the chain comes up empty.
      const provider = s3For(target, undefined).config.credentials;
      await provider();
    },
    async assumeRole(target, { sessionName, signal }) {
      const response = await stsFor(target).send(
        new AssumeRoleCommand({
          RoleArn: target.roleArn,
          RoleSessionName: sessionName,
          ...(target.externalId ? { ExternalId: target.externalId } : {}),
          ...(target.sessionDurationSeconds ? { DurationSeconds: target.sessionDurationSeconds } : {}),
        }),
        { abortSignal: signal },
      );
      const issued = response.Credentials;
      if (!issued?.AccessKeyId || !issued.SecretAccessKey) {
        throw new IncompleteAssumeRoleResponse("AssumeRole answered without credentials");
      }
      return {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        ...(issued.SessionToken ? { sessionToken: issued.SessionToken } : {}),
        ...(issued.Expiration ? { expiration: new Date(issued.Expiration) } : {}),
      };
    },
    storage(target, credentials): StorageSession {
      const client = s3For(target, credentials);
      const Bucket = target.bucket;
      return {
        async headBucket({ signal }) {
          await client.send(new HeadBucketCommand({ Bucket }), { abortSignal: signal });
        },
        async listObjects(prefix, { signal }) {
          await client.send(
            new ListObjectsV2Command({ Bucket, MaxKeys: 1, ...(prefix ? { Prefix: prefix } : {}) }),
            {
              abortSignal: signal,
            },
          );
        },
        async putObject(key, body, { signal }) {
          await client.send(
            new PutObjectCommand({
              Bucket,
              Key: key,
              Body: body,
              ContentType: "text/plain",
              ContentLength: body.length,
            }),
            { abortSignal: signal },
          );
        },
        async getObject(key, { signal }) {
          const response = await client.send(new GetObjectCommand({ Bucket, Key: key }), {
            abortSignal: signal,
          });
          return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
        },
        async deleteObject(key, { signal }) {
          await client.send(new DeleteObjectCommand({ Bucket, Key: key }), { abortSignal: signal });
        },
      };
    },
    close() {
      for (const client of stsClients.values()) client.destroy();
      for (const { client } of s3Clients.values()) client.destroy();
      stsClients.clear();
      s3Clients.clear();
    },
  };
}
