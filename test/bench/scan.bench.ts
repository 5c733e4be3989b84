/**
 * Speed of the certificate engine on large inputs (`npm run bench:micro`; the end-to-end
 * benchmarks are `npm run bench`, test/bench/run.ts). Targets, on the 2-core CI
 * machine: a 1 MiB PKCS#7 bundle (about a thousand certificates) read in well under 5 s; a scan
 * of 200 chain files judged against a CA bundle in under 2 s; a peer group of six, each peer's
 * certificate against the five other trust stores in both roles (60 path validations), in under
 * 100 ms. Memory: the reader's peak for the 1 MiB bundle is printed once, to compare against the
 * Lambda's 1 GiB.
 */
import { bench, describe } from "vitest";
import { parseCertificate } from "../../functions/core/certificates/certificate";
import { evaluatePeerGroup } from "../../functions/core/certificates/peer-group";
import { readCertificates } from "../../functions/core/certificates/reader";
import { type ScanInput, scanFiles } from "../../functions/core/scan/read-files";
import { chain, issue, pkcs7Der } from "../support/pki";

const { root, intermediate, leaf } = await chain("node1.cluster.local");
const leaves = await Promise.all(
  Array.from({ length: 40 }, (_, i) =>
    issue({
      subject: `CN=node${i}.cluster.local`,
      dnsNames: [`node${i}.cluster.local`],
      issuer: intermediate,
    }),
  ),
);

// Repeat the generated certificates up to about 1 MiB: the reader's size cap.
const ders: Uint8Array[] = [];
let size = 0;
while (size < 1024 * 1024 - 2048) {
  const der = leaves[ders.length % leaves.length]!.der;
  ders.push(der);
  size += der.length;
}
const bundle = pkcs7Der(ders);
const pemFile = new TextEncoder().encode(`${leaf.pem}\n${intermediate.pem}\n`);
const files: ScanInput[] = Array.from({ length: 200 }, (_, i) => ({
  file: `certs/node${i}.pem`,
  explicit: true,
  load: async () => ({ ok: true, bytes: pemFile }),
}));
const policy = { now: new Date(), warnDays: 30, majorDays: 7, skewSeconds: 300, trustAnchors: [] as never[] };
const anchors = await readCertificates(new TextEncoder().encode(root.pem), "ca.pem");
if (anchors.status === "ok") policy.trustAnchors = anchors.certificates as never[];

const before = process.memoryUsage().rss;
await readCertificates(bundle, "bundle.p7b");
console.log(
  `1 MiB PKCS#7 with ${ders.length} certificates: RSS grew ${Math.round((process.memoryUsage().rss - before) / 1048576)} MiB`,
);

describe("reader", () => {
  bench(
    `PKCS#7 bundle of ${ders.length} certificates (1 MiB)`,
    async () => {
      await readCertificates(bundle, "bundle.p7b");
    },
    { iterations: 3, warmupIterations: 1 },
  );
});

describe("scan engine", () => {
  bench(
    "200 chain files against a CA bundle",
    async () => {
      await scanFiles(files, { policy });
    },
    { iterations: 5, warmupIterations: 1 },
  );
});

// Six peers with certificates from the intermediate, each trusting the root through its own store.
const peerGroup = {
  name: "etcd",
  trust: leaves.slice(0, 6).map((_, i) => ({
    fqdn: `node${i}.cluster.local`,
    trust: {
      location: `trust/node${i}.pem`,
      own: true,
      anchors: [parseCertificate(root.der, `trust/node${i}.pem`, 0)],
    },
  })),
  peers: leaves.slice(0, 6).map((peer, i) => ({
    fqdn: `node${i}.cluster.local`,
    certificates: [
      parseCertificate(peer.der, `peers/node${i}.pem`, 0),
      parseCertificate(intermediate.der, `peers/node${i}.pem`, 1),
    ],
  })),
};

describe("peer group", () => {
  bench(
    "six peers, each against the five other trust stores, server and client roles",
    () => {
      evaluatePeerGroup(peerGroup, { now: new Date(), warnDays: 30, majorDays: 7, skewSeconds: 300 });
    },
    { iterations: 20, warmupIterations: 2 },
  );
});
