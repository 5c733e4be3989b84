/**
 * ACM and Secrets Manager have no local implementation: this loopback server speaks the JSON
 * protocol (awsJson1_1) of the calls the certificate scan makes of them — ACM's ListCertificates,
 * DescribeCertificate, GetCertificate and ListTagsForCertificate (`X-Amz-Target:
 * CertificateManager.*`), Secrets Manager's ListSecrets and GetSecretValue (`secretsmanager.*`) —
 * so the real clients and adapters (functions/adapters/aws-certificates/) run unchanged. Answers
 * carry the fields the API references document; instants are epoch seconds, as the protocol sends
 * them. The state is the caller's to change between scans (a renewal, a new secret version).
 */
import { awsJson, awsJsonError, type LoopbackResponse, startLoopbackServer } from "./http";

export interface LocalAcmCertificate {
  arn: string;
  domainName: string;
  type: "AMAZON_ISSUED" | "IMPORTED" | "PRIVATE";
  status: string;
  notBefore: Date;
  notAfter: Date;
  inUseBy: string[];
  renewalEligibility: "ELIGIBLE" | "INELIGIBLE";
  renewalStatus?: string;
  /** PEM of an imported certificate (GetCertificate). */
  pem?: string;
  tags?: Record<string, string>;
}

export interface LocalSecret {
  arn: string;
  name: string;
  versionId: string;
  value: string;
  tags?: Record<string, string>;
}

export interface LocalAwsCertificateStores {
  endpoint: string;
  acm: Map<string, LocalAcmCertificate>;
  secrets: Map<string, LocalSecret>;
  /** Calls made, by target (never a value). */
  calls: string[];
  close(): Promise<void>;
}

const seconds = (date: Date) => date.getTime() / 1000;

export async function startLocalAwsCertificateStores(): Promise<LocalAwsCertificateStores> {
  const acm = new Map<string, LocalAcmCertificate>();
  const secrets = new Map<string, LocalSecret>();
  const calls: string[] = [];
  const notFound = (what: string) =>
    awsJsonError("1.1", 400, "ResourceNotFoundException", `${what} not found`);
  const handlers: Record<string, (input: Record<string, unknown>) => LoopbackResponse> = {
    "CertificateManager.ListCertificates": () =>
      awsJson("1.1", {
        CertificateSummaryList: [...acm.values()].map((c) => ({
          CertificateArn: c.arn,
          DomainName: c.domainName,
          Status: c.status,
          Type: c.type,
          NotBefore: seconds(c.notBefore),
          NotAfter: seconds(c.notAfter),
          InUse: c.inUseBy.length > 0,
          RenewalEligibility: c.renewalEligibility,
        })),
      }),
    "CertificateManager.DescribeCertificate": (input) => {
      const c = acm.get(String(input.CertificateArn));
      if (!c) return notFound("certificate");
      return awsJson("1.1", {
        Certificate: {
          CertificateArn: c.arn,
          DomainName: c.domainName,
          SubjectAlternativeNames: [c.domainName],
          Status: c.status,
          Type: c.type,
          NotBefore: seconds(c.notBefore),
          NotAfter: seconds(c.notAfter),
          InUseBy: c.inUseBy,
          RenewalEligibility: c.renewalEligibility,
          ...(c.renewalStatus
            ? {
                RenewalSummary: {
                  RenewalStatus: c.renewalStatus,
                  DomainValidationOptions: [{ DomainName: c.domainName }],
                  UpdatedAt: seconds(new Date()),
                },
              }
            : {}),
        },
      });
    },
    "CertificateManager.GetCertificate": (input) => {
      const c = acm.get(String(input.CertificateArn));
      return c?.pem ? awsJson("1.1", { Certificate: c.pem }) : notFound("certificate");
    },
    "CertificateManager.ListTagsForCertificate": (input) => {
      const c = acm.get(String(input.CertificateArn));
      if (!c) return notFound("certificate");
      return awsJson("1.1", { Tags: Object.entries(c.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) });
    },
    "secretsmanager.ListSecrets": () =>
      awsJson("1.1", {
        SecretList: [...secrets.values()].map((s) => ({
          ARN: s.arn,
          Name: s.name,
          Tags: Object.entries(s.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          SecretVersionsToStages: { [s.versionId]: ["AWSCURRENT"] },
        })),
      }),
    "secretsmanager.GetSecretValue": (input) => {
      const id = String(input.SecretId);
      const s = secrets.get(id) ?? [...secrets.values()].find((x) => x.name === id);
      if (!s) return notFound("secret");
      return awsJson("1.1", { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: s.value });
    },
  };
  const server = await startLoopbackServer(({ headers, body }) => {
    const target = String(headers["x-amz-target"] ?? "");
    calls.push(target);
    const handle = handlers[target];
    if (!handle) {
      return awsJsonError(
        "1.1",
        400,
        "InvalidRequestException",
        `the local stand-in does not answer ${target}`,
      );
    }
    return handle(body === "" ? {} : (JSON.parse(body) as Record<string, unknown>));
  });
  return { endpoint: server.endpoint, acm, secrets, calls, close: () => server.close() };
}
