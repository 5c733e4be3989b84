/**
 * `npm start`, step 8: certificates kept where AWS users keep them. An ACM certificate that ACM
 * will not renew (RenewalEligibility INELIGIBLE) while a load balancer uses it, and a Secrets
 * Manager secret holding a Kafka broker's PEM certificate (with its private key) that expires in
 * five days: the scheduled scan raises both with their account, region and ARN; ACM is then
 * allowed to renew the certificate and the secret gets a renewed certificate (a new version), and
 * the next scheduled scan clears both. ACM and Secrets Manager are loopback stand-ins speaking
 * their JSON protocol (bin/local/aws-certificate-stores.ts); the scan's adapters are the real ones.
 */
import { webcrypto } from "node:crypto";
import { awsCertificateClients } from "../../functions/adapters/aws-certificates";
import type { SecretReader } from "../../functions/adapters/secrets";
import { parseConfig, type WatchpostConfigInput } from "../../functions/core/config";
import { startLocalAwsCertificateStores } from "../local/aws-certificate-stores";
import type { LocalAws } from "./local-aws";
import { type Output, wrap } from "./output";
import { DAY_MS, type DemoCertificate, issue } from "./pki";
import { Session, type Step } from "./session";

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
export const DEMO_ACM_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0c6e3b5f-8d1a-4c1e-9f6a-2b7d5e0a1c93`;
export const DEMO_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/kafka-broker-Xy12Ab`;
const ALB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188`;

export interface AwsStoreSteps {
  raised: Step | undefined;
  cleared: Step | undefined;
  failures: number;
}

export async function awsStoreSteps(
  aws: LocalAws,
  base: WatchpostConfigInput,
  bucket: string,
  out: Output,
  secrets: SecretReader,
): Promise<AwsStoreSteps> {
  const stores = await startLocalAwsCertificateStores();
  try {
    const now = Date.now();
    stores.acm.set(DEMO_ACM_ARN, {
      arn: DEMO_ACM_ARN,
      domainName: "shop.example.com",
      type: "AMAZON_ISSUED",
      status: "ISSUED",
      notBefore: new Date(now - 340 * DAY_MS),
      notAfter: new Date(now + 45 * DAY_MS),
      inUseBy: [ALB],
      renewalEligibility: "INELIGIBLE",
    });
    const expiring = await issue({
      subject: "CN=kafka-1.example.com",
      dnsNames: ["kafka-1.example.com"],
      notBefore: new Date(now - 360 * DAY_MS),
      notAfter: new Date(now + 5 * DAY_MS),
    });
    stores.secrets.set(DEMO_SECRET_ARN, {
      arn: DEMO_SECRET_ARN,
      name: "tls/kafka-broker",
      versionId: "3f1c9a2e-0001-4b5e-8d7a-demo00000001",
      value: `${expiring.pem}${await keyPem(expiring)}`,
    });
    const awsCertificates = {
      acm: [{ regions: [REGION] }],
      secretsManager: [{ regions: [REGION], namePrefix: "tls/", parameters: { ServiceName: "Kafka" } }],
    };
    const config = parseConfig({ ...base, awsCertificates }, "the sample configuration");
    const session = new Session(aws, config, bucket, out, secrets, {
      clients: awsCertificateClients({
        endpoint: stores.endpoint,
        maxAttempts: 1,
        credentialsFor: () => async () => ({ accessKeyId: "local", secretAccessKey: "local" }),
      }),
      ownAccount: ACCOUNT,
    });
    for (const line of wrap(
      `ACM (account ${ACCOUNT}, ${REGION}) holds shop.example.com, issued by ACM and used by a load balancer, but INELIGIBLE for renewal; Secrets Manager holds tls/kafka-broker, a Kafka broker's PEM certificate and private key, expiring in 5 days. The configuration gains (watchpost.config.json):`,
    )) {
      out.line(line);
    }
    for (const line of JSON.stringify({ awsCertificates }, null, 2).split("\n")) out.line(`  ${line}`);
    out.line(
      "ACM and Secrets Manager are loopback stand-ins speaking their JSON protocol; the scan's SDK clients are real.",
    );
    let failures = await session.scheduledScan();
    const raised = session.steps.at(-1);
    out.line();
    for (const line of wrap(
      "The owner associates the certificate so ACM may renew it (RenewalEligibility ELIGIBLE), and puts a renewed certificate into the secret (a new AWSCURRENT version); the next scheduled scan:",
    )) {
      out.line(line);
    }
    stores.acm.set(DEMO_ACM_ARN, { ...stores.acm.get(DEMO_ACM_ARN)!, renewalEligibility: "ELIGIBLE" });
    const renewed = await issue({
      subject: "CN=kafka-1.example.com",
      dnsNames: ["kafka-1.example.com"],
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 365 * DAY_MS),
    });
    stores.secrets.set(DEMO_SECRET_ARN, {
      ...stores.secrets.get(DEMO_SECRET_ARN)!,
      versionId: "3f1c9a2e-0002-4b5e-8d7a-demo00000002",
      value: `${renewed.pem}${await keyPem(renewed)}`,
    });
    failures += await session.scheduledScan({ table: false });
    return { raised, cleared: session.steps.at(-1), failures };
  } finally {
    await stores.close();
  }
}

/** The certificate's private key as PEM, as a secret holding both keeps it (in memory only). */
async function keyPem(certificate: DemoCertificate): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", certificate.signer.keys.privateKey));
  const lines = pkcs8.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}
