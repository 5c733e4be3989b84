/**
 * What a peer group's alarms tell the person who gets them (issue 24, point 4): where the
 * certificate lives (HostName, Key, Endpoint), steps with those values filled in, the peer's FQDN
 * as the SNI name of every served-vs-stored step, a console link for a stored certificate, and the
 * group as configured — never the live side's internal scope name. Run end to end: the scan
 * function on s3rver and dynalite, a peer's live endpoint on loopback, the events rendered as the
 * notifier renders them.
 */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointFetcher } from "../../../functions/adapters/tls-endpoint";
import type { AlarmEventDetail } from "../../../functions/core/alarms/events";
import { parseConfig } from "../../../functions/core/config";
import { alarmView } from "../../../functions/core/notifications/alarm-view";
import { emailBody } from "../../../functions/core/notifications/email";
import { runCertificateScan } from "../../../functions/handlers/certificate-scan";
import { type LocalDynamo, type LocalS3, startDynalite, startS3rver } from "../../support/emulators";
import { recordingEventBus } from "../../support/event-bus";
import { chain, DAY, issue } from "../../support/pki";
import { SCHEDULED_EVENT, scanHarness } from "../../support/scan-harness";
import { type LoopbackEndpoint, startLoopbackEndpoint } from "../../support/tls-servers";

const BUCKET = "watchpost-certificates";
const NODE1 = "node1.expressway.test";
const NODE2 = "node2.expressway.test";

let s3: LocalS3;
let dynamo: LocalDynamo;
const bus = recordingEventBus();
let endpoint: LoopbackEndpoint;

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const pki = await chain(NODE1);
  const put = (key: string, body: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  // node1 was renewed on disk, but still serves its old certificate; node2's names another host.
  const served = await issue({
    subject: `CN=${NODE1}`,
    dnsNames: [NODE1],
    issuer: pki.intermediate,
    notBefore: new Date(Date.now() - 340 * DAY),
    notAfter: new Date(Date.now() + 20 * DAY),
  });
  const renewed = await issue({ subject: `CN=${NODE1}`, dnsNames: [NODE1], issuer: pki.intermediate });
  const misnamed = await issue({
    subject: "CN=node9.expressway.test",
    dnsNames: ["node9.expressway.test"],
    issuer: pki.intermediate,
  });
  await put("trust/ca.pem", pki.root.pem);
  await put("peers/node1.pem", `${renewed.pem}\n${pki.intermediate.pem}`);
  await put("peers/node2.pem", `${misnamed.pem}\n${pki.intermediate.pem}`);
  endpoint = await startLoopbackEndpoint(served, [pki.intermediate]);
});

afterAll(async () => {
  bus.restore();
  await Promise.all([endpoint.close(), s3.stop(), dynamo.stop()]);
});

/** The scheduled scan's events, and each one's e-mail as the notifier writes it. */
async function scheduledScan(): Promise<{ detail: AlarmEventDetail; email: string }[]> {
  const config = parseConfig({
    certificates: {
      sources: [{ prefix: "other/" }],
      peerGroups: [
        {
          name: "expressway",
          caBundleKey: "trust/ca.pem",
          peers: [
            { fqdn: NODE1, certificateKey: "peers/node1.pem", endpoint: endpoint.endpoint },
            { fqdn: NODE2, certificateKey: "peers/node2.pem" },
          ],
        },
      ],
    },
  });
  const { deps } = await scanHarness({ config, bucket: BUCKET, s3: s3.client, dynamo, bus });
  await runCertificateScan(SCHEDULED_EVENT, { ...deps, fetchEndpoint: endpointFetcher(5000) });
  return bus.sent.map((entry) => {
    const detail = JSON.parse(entry.Detail ?? "{}") as AlarmEventDetail;
    return { detail, email: emailBody(alarmView(detail, { stackName: "Watchpost", region: "eu-west-1" })) };
  });
}

describe("a peer group's alarms", () => {
  let events: Awaited<ReturnType<typeof scheduledScan>>;
  beforeAll(async () => {
    events = await scheduledScan();
  }, 60_000);
  const find = (check: string, source: string) => {
    const found = events.find((e) => e.detail.check === check && e.detail.source === source);
    if (!found) throw new Error(`no ${check} on ${source} among ${events.map((e) => e.detail.source)}`);
    return found;
  };

  it("carry the peer's HostName, its certificate's Key and its Endpoint", () => {
    // Act
    const servedMismatch = find("served-mismatch", `peer-group:expressway@live/${NODE1}#0`);
    const misnamed = find("hostname-mismatch", `peer-group:expressway/${NODE2}#0`);
    const liveExpiring = find("expiring", `peer-group:expressway@live/${NODE1}#0`);

    // Assess
    expect(servedMismatch.detail.parameters).toEqual({
      Source: `peer-group:expressway@live/${NODE1}#0`,
      PeerGroup: "expressway",
      Bucket: BUCKET,
      HostName: NODE1,
      Key: "peers/node1.pem",
      Endpoint: endpoint.endpoint,
    });
    expect(misnamed.detail.parameters).toEqual({
      Source: `peer-group:expressway/${NODE2}#0`,
      PeerGroup: "expressway",
      Bucket: BUCKET,
      HostName: NODE2,
      Key: "peers/node2.pem",
    });
    expect(liveExpiring.detail.parameters).toEqual({
      Source: `peer-group:expressway@live/${NODE1}#0`,
      PeerGroup: "expressway",
      Bucket: BUCKET,
      HostName: NODE1,
      Endpoint: endpoint.endpoint,
    });
  });

  it("render steps with the bucket, key, endpoint and the peer's FQDN as the SNI name, and no placeholder left", () => {
    // Act
    const servedMismatch = find("served-mismatch", `peer-group:expressway@live/${NODE1}#0`).email;
    const misnamed = find("hostname-mismatch", `peer-group:expressway/${NODE2}#0`).email;
    const liveExpiring = find("expiring", `peer-group:expressway@live/${NODE1}#0`).email;

    // Assess
    expect(servedMismatch).toContain(
      `\`openssl s_client -connect ${endpoint.endpoint} -servername ${NODE1} </dev/null | openssl x509 -noout -serial -dates\``,
    );
    expect(servedMismatch).toContain(
      `\`aws s3 cp s3://${BUCKET}/peers/node1.pem - | openssl x509 -noout -serial -dates\``,
    );
    expect(misnamed).toContain(`\`aws s3 cp s3://${BUCKET}/peers/node2.pem cert.pem\``);
    expect(misnamed).toContain(`with the host that serves it: ${NODE2}.`);
    expect(liveExpiring).toContain(
      `\`openssl s_client -connect ${endpoint.endpoint} -showcerts </dev/null >cert.pem\``,
    );
    for (const email of [servedMismatch, misnamed, liveExpiring]) {
      expect(email).not.toMatch(/\bKEY\b|HOST:PORT|-servername 127\.0\.0\.1|\bBUCKET\b/);
    }
  });

  it("link a stored peer certificate's alarm to the object in the S3 console", () => {
    // Act
    const misnamed = find("hostname-mismatch", `peer-group:expressway/${NODE2}#0`).email;

    // Assess
    expect(misnamed).toContain(
      `Open the object in the S3 console: https://eu-west-1.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-west-1&prefix=peers%2Fnode2.pem`,
    );
  });

  it("name the group as configured, never its live side's scope", () => {
    // Assess
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const { detail, email } of events) {
      expect(detail.message).not.toContain("@live");
      expect(email.split("\nObject: ")[0]).not.toContain("@live");
    }
    expect(find("expiring", `peer-group:expressway@live/${NODE1}#0`).detail.message).toMatch(
      new RegExp(`^Peer ${NODE1.replaceAll(".", "\\.")} of group expressway, as it serves: `),
    );
  });
});
