/**
 * ACM, IAM, Secrets Manager, Parameter Store and STS as a deployed function meets them, on one
 * loopback node:http server that speaks each service's own wire protocol, so the SDK v3 clients
 * (pointed at it by `endpoint`, or in a bundle by AWS_ENDPOINT_URL_<SERVICE>) send, sign and parse
 * exactly what they would against AWS:
 *
 * - awsJson1_1 (ACM, Secrets Manager, SSM): POST /, `X-Amz-Target: <prefix>.<Operation>`,
 *   `application/x-amz-json-1.1`; timestamps as epoch seconds; errors as `{"__type": …, "message"}`
 *   with a 400 (Smithy, "AWS JSON 1.1 protocol").
 * - awsQuery (STS, IAM): form-encoded `Action=…&Version=…`, XML answers `<OpResponse><OpResult>…`,
 *   lists as `<member>`, errors as `<ErrorResponse><Error><Code>` (Smithy, "AWS query protocol").
 *
 * The fields are those of each API reference's response syntax (ACM DescribeCertificate's
 * CertificateDetail, IAM's ServerCertificateMetadata, Secrets Manager's SecretListEntry, SSM's
 * ParameterMetadata / Parameter, STS's Credentials). Every request is recorded with the access key
 * that signed it, so a test sees which session a call was made with.
 *
 * Pagination: each list answers `pageSize` items and a NextToken / Marker for the rest.
 *
 * With `ownAccount`, each account and Region sees only its own items, as in AWS: a request's
 * account is the one whose role issued its access key (`roles`), `ownAccount` for any other key, and
 * its Region the one its signature is scoped to (SigV4 `Credential=<key>/<date>/<region>/…`); an item
 * belongs where its ARN says (IAM's ARNs name no Region). `deny` refuses operations for an account
 * as AWS does when a policy does not allow the call (AccessDeniedException / AccessDenied).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface AcmCertificateFixture {
  arn: string;
  domainName: string;
  subjectAlternativeNames?: string[];
  type: "IMPORTED" | "AMAZON_ISSUED" | "PRIVATE";
  status?: string;
  notBefore: Date;
  notAfter: Date;
  inUseBy?: string[];
  renewalEligibility?: "ELIGIBLE" | "INELIGIBLE";
  renewalStatus?: "PENDING_AUTO_RENEWAL" | "PENDING_VALIDATION" | "SUCCESS" | "FAILED";
  keyAlgorithm?: string;
  tags?: Record<string, string>;
  /** PEM, for GetCertificate (imported and private certificates). */
  certificate?: string;
  chain?: string;
}

export interface IamServerCertificateFixture {
  name: string;
  path?: string;
  id: string;
  arn: string;
  uploadDate: Date;
  expiration: Date;
  body: string;
  chain?: string;
}

export interface SecretFixture {
  arn: string;
  name: string;
  tags?: Record<string, string>;
  secretString?: string;
  secretBinary?: Uint8Array;
  versionId?: string;
  lastChangedDate?: Date;
}

export interface ParameterFixture {
  name: string;
  arn: string;
  type: "String" | "StringList" | "SecureString";
  value: string;
  version?: number;
  lastModifiedDate?: Date;
}

export interface RoleFixture {
  roleArn: string;
  /** AssumeRole succeeds only with this external ID (the trust policy's sts:ExternalId). */
  externalId: string;
  accessKeyId: string;
  expiration: Date;
}

export interface StandInFixtures {
  acm?: AcmCertificateFixture[];
  iam?: IamServerCertificateFixture[];
  secrets?: SecretFixture[];
  parameters?: ParameterFixture[];
  roles?: RoleFixture[];
  pageSize?: number;
  /** The account of requests signed with a key no role issued; unset: every caller sees every item. */
  ownAccount?: string;
  /** Operations refused, each for one account or every account: `{ operation: "ssm:DescribeParameters", account? }`. */
  deny?: { operation: string; account?: string }[];
}

export interface RecordedRequest {
  /** `acm:ListCertificates`, `sts:AssumeRole`, … */
  operation: string;
  /** The access key ID of the request's SigV4 Authorization header. */
  accessKeyId: string | undefined;
  input: Record<string, unknown>;
}

export interface AwsStandIn {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const JSON_PREFIXES: Record<string, string> = {
  CertificateManager: "acm",
  secretsmanager: "secretsmanager",
  AmazonSSM: "ssm",
};

const epoch = (date: Date) => date.getTime() / 1000;
const xmlEscape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const tagList = (tags: Record<string, string> = {}) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

interface Caller {
  account: string;
  region: string;
}

class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function page<T>(items: T[], token: unknown, size: number): { items: T[]; next?: string } {
  const start = typeof token === "string" && token !== "" ? Number(token) : 0;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startAwsStandIn(fixtures: StandInFixtures): Promise<AwsStandIn> {
  const requests: RecordedRequest[] = [];
  const size = fixtures.pageSize ?? 100;

  /** The items the caller's account and Region hold (every item when no `ownAccount` is set). */
  function visible<T extends { arn: string }>(items: T[] | undefined, caller: Caller): T[] {
    if (!fixtures.ownAccount) return items ?? [];
    return (items ?? []).filter((item) => {
      const [, , , region, account] = item.arn.split(":");
      return account === caller.account && (region === "" || region === caller.region);
    });
  }

  function json(operation: string, input: Record<string, unknown>, caller: Caller): unknown {
    refuseDenied(operation, caller);
    switch (operation) {
      case "acm:ListCertificates": {
        const { items, next } = page(visible(fixtures.acm, caller), input.NextToken, size);
        return {
          CertificateSummaryList: items.map((c) => ({
            CertificateArn: c.arn,
            DomainName: c.domainName,
            Type: c.type,
            Status: c.status ?? "ISSUED",
            NotAfter: epoch(c.notAfter),
            InUse: (c.inUseBy ?? []).length > 0,
          })),
          ...(next ? { NextToken: next } : {}),
        };
      }
      case "acm:DescribeCertificate":
      case "acm:GetCertificate":
      case "acm:ListTagsForCertificate": {
        const c = visible(fixtures.acm, caller).find((x) => x.arn === input.CertificateArn);
        if (!c)
          throw new ServiceError(
            "ResourceNotFoundException",
            `Could not find certificate ${String(input.CertificateArn)}.`,
          );
        if (operation === "acm:ListTagsForCertificate") return { Tags: tagList(c.tags) };
        if (operation === "acm:GetCertificate") {
          if (!c.certificate)
            throw new ServiceError("RequestInProgressException", "Certificate is not yet issued.");
          return { Certificate: c.certificate, ...(c.chain ? { CertificateChain: c.chain } : {}) };
        }
        return {
          Certificate: {
            CertificateArn: c.arn,
            DomainName: c.domainName,
            SubjectAlternativeNames: c.subjectAlternativeNames ?? [c.domainName],
            Type: c.type,
            Status: c.status ?? "ISSUED",
            NotBefore: epoch(c.notBefore),
            NotAfter: epoch(c.notAfter),
            InUseBy: c.inUseBy ?? [],
            KeyAlgorithm: c.keyAlgorithm ?? "EC_prime256v1",
            ...(c.renewalEligibility ? { RenewalEligibility: c.renewalEligibility } : {}),
            ...(c.renewalStatus
              ? { RenewalSummary: { RenewalStatus: c.renewalStatus, UpdatedAt: epoch(c.notBefore) } }
              : {}),
          },
        };
      }
      case "secretsmanager:ListSecrets": {
        const { items, next } = page(visible(fixtures.secrets, caller), input.NextToken, size);
        return {
          SecretList: items.map((s) => ({
            ARN: s.arn,
            Name: s.name,
            Tags: tagList(s.tags),
            ...(s.lastChangedDate ? { LastChangedDate: epoch(s.lastChangedDate) } : {}),
            SecretVersionsToStages: { [s.versionId ?? "v1"]: ["AWSCURRENT"] },
          })),
          ...(next ? { NextToken: next } : {}),
        };
      }
      case "secretsmanager:GetSecretValue": {
        const s = visible(fixtures.secrets, caller).find(
          (x) => x.arn === input.SecretId || x.name === input.SecretId,
        );
        if (!s)
          throw new ServiceError(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
          );
        return {
          ARN: s.arn,
          Name: s.name,
          VersionId: s.versionId ?? "v1",
          VersionStages: ["AWSCURRENT"],
          ...(s.secretString !== undefined ? { SecretString: s.secretString } : {}),
          ...(s.secretBinary ? { SecretBinary: Buffer.from(s.secretBinary).toString("base64") } : {}),
          CreatedDate: epoch(s.lastChangedDate ?? new Date(0)),
        };
      }
      case "ssm:DescribeParameters": {
        const { items, next } = page(visible(fixtures.parameters, caller), input.NextToken, size);
        return {
          Parameters: items.map((p) => ({
            Name: p.name,
            ARN: p.arn,
            Type: p.type,
            Version: p.version ?? 1,
            LastModifiedDate: epoch(p.lastModifiedDate ?? new Date(0)),
            DataType: "text",
          })),
          ...(next ? { NextToken: next } : {}),
        };
      }
      case "ssm:GetParameter": {
        const p = visible(fixtures.parameters, caller).find(
          (x) => x.name === input.Name || x.arn === input.Name,
        );
        if (!p) throw new ServiceError("ParameterNotFound", "");
        return {
          Parameter: {
            Name: p.name,
            ARN: p.arn,
            Type: p.type,
            Value: p.value,
            Version: p.version ?? 1,
            LastModifiedDate: epoch(p.lastModifiedDate ?? new Date(0)),
            DataType: "text",
          },
        };
      }
      default:
        throw new ServiceError("UnknownOperationException", `stand-in does not answer ${operation}`);
    }
  }

  function query(operation: string, input: Record<string, string>, caller: Caller): string {
    refuseDenied(operation, caller);
    switch (operation) {
      case "sts:AssumeRole": {
        const role = (fixtures.roles ?? []).find((r) => r.roleArn === input.RoleArn);
        if (!role || role.externalId !== input.ExternalId) {
          throw new ServiceError(
            "AccessDenied",
            `User: arn:aws:sts::123456789012:assumed-role/caller/session is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
            403,
          );
        }
        return `<AssumeRoleResult><Credentials><AccessKeyId>${role.accessKeyId}</AccessKeyId><SecretAccessKey>secret-of-${role.accessKeyId}</SecretAccessKey><SessionToken>token-of-${role.accessKeyId}</SessionToken><Expiration>${role.expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:${xmlEscape(input.RoleSessionName ?? "")}</AssumedRoleId><Arn>${xmlEscape(role.roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/"))}/${xmlEscape(input.RoleSessionName ?? "")}</Arn></AssumedRoleUser></AssumeRoleResult>`;
      }
      case "iam:ListServerCertificates": {
        const prefix = input.PathPrefix ?? "/";
        const all = visible(fixtures.iam, caller).filter((c) => (c.path ?? "/").startsWith(prefix));
        const { items, next } = page(all, input.Marker, size);
        const members = items.map((c) => `<member>${metadata(c)}</member>`).join("");
        return `<ListServerCertificatesResult><IsTruncated>${next !== undefined}</IsTruncated>${next ? `<Marker>${next}</Marker>` : ""}<ServerCertificateMetadataList>${members}</ServerCertificateMetadataList></ListServerCertificatesResult>`;
      }
      case "iam:GetServerCertificate": {
        const c = visible(fixtures.iam, caller).find((x) => x.name === input.ServerCertificateName);
        if (!c)
          throw new ServiceError(
            "NoSuchEntity",
            `The Server Certificate with name ${input.ServerCertificateName} cannot be found.`,
            404,
          );
        return `<GetServerCertificateResult><ServerCertificate><ServerCertificateMetadata>${metadata(c)}</ServerCertificateMetadata><CertificateBody>${xmlEscape(c.body)}</CertificateBody>${c.chain ? `<CertificateChain>${xmlEscape(c.chain)}</CertificateChain>` : ""}</ServerCertificate></GetServerCertificateResult>`;
      }
      default:
        throw new ServiceError("InvalidAction", `stand-in does not answer ${operation}`);
    }
  }

  /** AWS's refusal of a call no policy allows: the JSON services' AccessDeniedException, the query services' AccessDenied. */
  function refuseDenied(operation: string, caller: Caller): void {
    const denied = (fixtures.deny ?? []).some(
      (d) => d.operation === operation && (d.account === undefined || d.account === caller.account),
    );
    if (!denied) return;
    const [service, action] = operation.split(":") as [string, string];
    const json = service !== "iam" && service !== "sts";
    throw new ServiceError(
      json ? "AccessDeniedException" : "AccessDenied",
      `User: arn:aws:sts::${caller.account}:assumed-role/scan/session is not authorized to perform: ${service}:${action} because no identity-based policy allows the ${service}:${action} action`,
      json ? 400 : 403,
    );
  }

  function callerOf(authorization: string | undefined): Caller {
    const [, key, region] = /Credential=([^/]+)\/[^/]+\/([^/]+)\//.exec(authorization ?? "") ?? [];
    const role = (fixtures.roles ?? []).find((r) => r.accessKeyId === key);
    return {
      account: role ? (role.roleArn.split(":")[4] ?? "") : (fixtures.ownAccount ?? ""),
      region: region ?? "",
    };
  }

  function metadata(c: IamServerCertificateFixture): string {
    return `<Path>${xmlEscape(c.path ?? "/")}</Path><ServerCertificateName>${xmlEscape(c.name)}</ServerCertificateName><ServerCertificateId>${c.id}</ServerCertificateId><Arn>${xmlEscape(c.arn)}</Arn><UploadDate>${c.uploadDate.toISOString()}</UploadDate><Expiration>${c.expiration.toISOString()}</Expiration>`;
  }

  const server: Server = createServer(async (request, response) => {
    const text = await body(request);
    const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? "")?.[1];
    const caller = callerOf(request.headers.authorization);
    const target = request.headers["x-amz-target"];
    if (typeof target === "string") {
      const [prefix, name] = target.split(".") as [string, string];
      const operation = `${JSON_PREFIXES[prefix] ?? prefix}:${name}`;
      const input = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      requests.push({ operation, accessKeyId, input });
      try {
        const answer = JSON.stringify(json(operation, input, caller));
        response.writeHead(200, {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-requestid": "stand-in",
        });
        response.end(answer);
      } catch (error) {
        const e = error as ServiceError;
        response.writeHead(e.status ?? 400, {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-requestid": "stand-in",
        });
        response.end(JSON.stringify({ __type: e.code, message: e.message }));
      }
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(text)) as Record<string, string>;
    const action = form.Action ?? "";
    const service = action === "AssumeRole" ? "sts" : "iam";
    const operation = `${service}:${action}`;
    requests.push({ operation, accessKeyId, input: form });
    const namespace =
      service === "sts"
        ? "https://sts.amazonaws.com/doc/2011-06-15/"
        : "https://iam.amazonaws.com/doc/2010-05-08/";
    try {
      const result = query(operation, form, caller);
      response.writeHead(200, { "content-type": "text/xml" });
      response.end(
        `<${action}Response xmlns="${namespace}">${result}<ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      const e = error as ServiceError;
      response.writeHead(e.status ?? 400, { "content-type": "text/xml" });
      response.end(
        `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`,
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
