/**
 * The embedded sample certificate store `npm start` scans: one certificate for every kind of fault
 * the scan finds, made fresh on every run (dates relative to now), plus the configuration that
 * watches it. No private key is written anywhere.
 */
import type { WatchpostConfigInput } from "../../functions/core/config";
import { DAY_MS, type DemoCertificate, issue, pemFile } from "./pki";
import { HOST_KEYSTORE_SECRET, HOST_PREFIX, SAMPLE_HOST } from "./sample-host";

export const SAMPLE_BUCKET = "watchpost-demo-certs";
export const API_HOST = "api.demo.example";
export const CA_BUNDLE_KEY = "trust/cluster-ca.pem";
export const EXPIRED_KEY = "certs/expired.pem";

export interface StoreObject {
  key: string;
  body: string;
  /** What the object is, for the listing printed before the scan. */
  note: string;
}

/** The live service of the demo: it serves `stale` while the store already holds `renewed`. */
export interface SampleService {
  host: string;
  storedKey: string;
  stale: DemoCertificate;
  renewed: DemoCertificate;
  intermediate: DemoCertificate;
}

export const SERVICE_KEY = "services/api-server.pem";

export interface SampleStore {
  bucket: string;
  service: SampleService;
  objects: StoreObject[];
  /** The renewed certificate uploaded over the expired one in the second step. */
  renewal: StoreObject;
  /** etcd-4's truststore with the CA it lacked, uploaded in the fourth step. */
  trustUpdate: StoreObject;
  /** The Flink host's HA certificate, expired, and the one it is renewed with (sample-host.ts). */
  host: { expired: string; renewed: string };
  certificates: WatchpostConfigInput["certificates"];
}

export const PEERS = [1, 2, 3, 4, 5, 6].map((n) => `etcd-${n}.demo.example`);
/** etcd-4's trust store was not given the new CA that etcd-2's renewed certificate chains to. */
export const STALE_TRUST_KEY = "trust/etcd-4.pem";

/** What happened to each etcd member's certificate. */
const PEER_STORIES: {
  names?: string;
  renewedBy?: "ops";
  extendedKeyUsage?: ("serverAuth" | "clientAuth")[];
  note?: string;
}[] = [
  {},
  { renewedBy: "ops", note: "renewed yesterday by a new CA, Demo Ops CA 2" },
  // Given the certificate issued for the staging cluster's third member.
  { names: "etcd-3.staging.example", note: "but its certificate names etcd-3.staging.example" },
  {},
  {
    extendedKeyUsage: ["serverAuth"],
    note: "re-issued from a template with extendedKeyUsage serverAuth only",
  },
  {},
];

export async function buildSampleStore(now = new Date()): Promise<SampleStore> {
  const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
  const root = await issue({
    subject: "CN=Demo Cluster Root CA,O=watchpost demo",
    ca: true,
    notBefore: at(-365),
    notAfter: at(3650),
  });
  const intermediate = await issue({
    subject: "CN=Demo Cluster Issuing CA,O=watchpost demo",
    ca: true,
    issuer: root,
    notBefore: at(-365),
    notAfter: at(1825),
  });
  const leaf = (options: {
    names?: string[];
    from: number;
    to: number;
    issuer?: DemoCertificate;
    extendedKeyUsage?: ("serverAuth" | "clientAuth")[];
  }) => {
    const names = options.names ?? [API_HOST];
    return issue({
      subject: `CN=${names[0]}`,
      dnsNames: names,
      issuer: options.issuer ?? intermediate,
      notBefore: at(options.from),
      notAfter: at(options.to),
      ...(options.extendedKeyUsage ? { extendedKeyUsage: options.extendedKeyUsage } : {}),
    });
  };
  // A second CA the cluster's operators started issuing peer certificates from last week.
  const opsCa = await issue({
    subject: "CN=Demo Ops CA 2,O=watchpost demo",
    ca: true,
    notBefore: at(-7),
    notAfter: at(3650),
  });
  const impostor = await issue({
    subject: "CN=Demo Cluster Root CA,O=somebody else",
    ca: true,
    notBefore: at(-30),
    notAfter: at(3650),
  });

  const objects: StoreObject[] = [
    { key: CA_BUNDLE_KEY, body: pemFile(root), note: "the cluster root CA: the trust bundle" },
    {
      key: "certs/healthy.pem",
      body: pemFile(await leaf({ from: -30, to: 335 }), intermediate),
      note: `${API_HOST}, valid for another 335 days`,
    },
    {
      key: "certs/expiring.pem",
      body: pemFile(await leaf({ from: -353, to: 12 }), intermediate),
      note: "expires in 12 days",
    },
    {
      key: EXPIRED_KEY,
      body: pemFile(await leaf({ from: -368, to: -3 }), intermediate),
      note: "expired 3 days ago (renewed in step 2)",
    },
    {
      key: "certs/not-yet-valid.pem",
      body: pemFile(await leaf({ from: 31, to: 396 }), intermediate),
      note: "issued while its host's clock ran 31 days ahead",
    },
    {
      key: "certs/untrusted.pem",
      body: pemFile(await leaf({ from: -10, to: 355, issuer: impostor })),
      note: "signed by an impostor CA with the same name",
    },
    {
      key: "certs/corrupt.pem",
      body: "-----BEGIN CERTIFICATE-----\nMIIC+zCCAeOgAwIBAgIJAKZ7 truncated by a bad copy\n-----END CERTIFICATE-----\n",
      note: "a damaged PEM file",
    },
    ...(await Promise.all(
      PEERS.map(async (fqdn, index) => {
        const peer = PEER_STORIES[index]!;
        const issuer = peer.renewedBy === "ops" ? opsCa : intermediate;
        const certificate = await leaf({
          names: [peer.names ?? fqdn],
          from: peer.renewedBy === "ops" ? -1 : -20,
          to: 345,
          issuer,
          extendedKeyUsage: peer.extendedKeyUsage ?? ["serverAuth", "clientAuth"],
        });
        return {
          key: `peers/etcd-${index + 1}.pem`,
          body: issuer === intermediate ? pemFile(certificate, intermediate) : pemFile(certificate),
          note: `peer ${fqdn}${peer.note ? `: ${peer.note}` : ""}`,
        };
      }),
    )),
    ...PEERS.map((fqdn, index) => {
      const key = `trust/etcd-${index + 1}.pem`;
      const stale = key === STALE_TRUST_KEY;
      return {
        key,
        body: stale ? pemFile(root) : pemFile(root, opsCa),
        note: `${fqdn}'s truststore: ${stale ? "the cluster root CA only (never given Demo Ops CA 2)" : "the cluster root CA and Demo Ops CA 2"}`,
      };
    }),
  ];

  // Renewed on disk (and in the store) 2 days ago; the service was never reloaded.
  const stale = await leaf({ from: -345, to: 20 });
  const renewed = await leaf({ from: -2, to: 363 });
  objects.push({
    key: SERVICE_KEY,
    body: pemFile(renewed, intermediate),
    note: `the renewed certificate of the live service ${API_HOST} (which still serves the old one)`,
  });

  // Issued by the root itself, so the keystore's one trusted-certificate entry chains to the bundle.
  const hostCertificate = (from: number, to: number) =>
    leaf({ names: [SAMPLE_HOST], from, to, issuer: root }).then((cert) => pemFile(cert));

  return {
    bucket: SAMPLE_BUCKET,
    service: { host: API_HOST, storedKey: SERVICE_KEY, stale, renewed, intermediate },
    objects,
    host: { expired: await hostCertificate(-367, -2), renewed: await hostCertificate(0, 365) },
    renewal: {
      key: EXPIRED_KEY,
      body: pemFile(await leaf({ from: 0, to: 365 }), intermediate),
      note: "the renewed certificate, valid for a year",
    },
    trustUpdate: {
      key: STALE_TRUST_KEY,
      body: pemFile(root, opsCa),
      note: "etcd-4's truststore with Demo Ops CA 2 added",
    },
    certificates: {
      sources: [
        { prefix: "certs/", expectedHostnames: [API_HOST], caBundleKey: CA_BUNDLE_KEY },
        // What hosts push: PREFIX/<host>/<path>; HostName, ServiceName and HostPath come from the
        // objects' metadata, the cluster from here.
        {
          prefix: HOST_PREFIX,
          caBundleKey: CA_BUNDLE_KEY,
          keystorePasswordSecretName: HOST_KEYSTORE_SECRET,
          parameters: { Cluster: "demo" },
        },
      ],
      // Every member keeps its own truststore; etcd peers talk to each other with mutual TLS.
      peerGroups: [
        {
          name: "etcd",
          roles: ["server", "client"],
          peers: PEERS.map((fqdn, index) => ({
            fqdn,
            certificateKey: `peers/etcd-${index + 1}.pem`,
            trustStore: { key: `trust/etcd-${index + 1}.pem` },
          })),
        },
      ],
    },
  };
}
