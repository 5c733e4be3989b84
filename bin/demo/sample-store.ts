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

export interface SampleStore {
  bucket: string;
  objects: StoreObject[];
  /** The renewed certificate uploaded over the expired one in the second step. */
  renewal: StoreObject;
  /** The Flink host's HA certificate, expired, and the one it is renewed with (sample-host.ts). */
  host: { expired: string; renewed: string };
  certificates: WatchpostConfigInput["certificates"];
}

const PEERS = ["etcd-1.demo.example", "etcd-2.demo.example", "etcd-3.demo.example"];

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
  const leaf = (options: { names?: string[]; from: number; to: number; issuer?: DemoCertificate }) => {
    const names = options.names ?? [API_HOST];
    return issue({
      subject: `CN=${names[0]}`,
      dnsNames: names,
      issuer: options.issuer ?? intermediate,
      notBefore: at(options.from),
      notAfter: at(options.to),
    });
  };
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
        // etcd-3 was given the certificate issued for the staging cluster's third member.
        const wrong = index === 2;
        const names = wrong ? ["etcd-3.staging.example"] : [fqdn];
        return {
          key: `peers/etcd-${index + 1}.pem`,
          body: pemFile(await leaf({ names, from: -20, to: 345 }), intermediate),
          note: wrong ? `peer ${fqdn}, but its certificate names etcd-3.staging.example` : `peer ${fqdn}`,
        };
      }),
    )),
  ];

  // Issued by the root itself, so the keystore's one trusted-certificate entry chains to the bundle.
  const hostCertificate = (from: number, to: number) =>
    leaf({ names: [SAMPLE_HOST], from, to, issuer: root }).then((cert) => pemFile(cert));

  return {
    bucket: SAMPLE_BUCKET,
    objects,
    host: { expired: await hostCertificate(-367, -2), renewed: await hostCertificate(0, 365) },
    renewal: {
      key: EXPIRED_KEY,
      body: pemFile(await leaf({ from: 0, to: 365 }), intermediate),
      note: "the renewed certificate, valid for a year",
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
      peerGroups: [
        {
          name: "etcd",
          caBundleKey: CA_BUNDLE_KEY,
          peers: PEERS.map((fqdn, index) => ({ fqdn, certificateKey: `peers/etcd-${index + 1}.pem` })),
        },
      ],
    },
  };
}
