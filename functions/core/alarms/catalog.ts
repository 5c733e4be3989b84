/**
 * The alarm catalog: one alarm per check, in the shape operators know from cluster managers
 * (ID, severity, auto clear, parameters, impact, causes, handling procedure). The runbook pages in
 * docs/alarms/ are rendered from these entries (`npm run generate`) and a test keeps
 * the two in step, so what the CLI prints, what events carry and what the operator reads agree.
 */

import { ALARM_IDS, DEFAULT_SEVERITY } from "../alarm-ids";
import { CERTIFICATE_CHECKS, type CheckName, CREDENTIAL_CHECKS, type Severity } from "../contracts";

export interface AlarmParameter {
  name: string;
  description: string;
}

export interface AlarmDefinition {
  id: string;
  check: CheckName;
  title: string;
  severity: Severity;
  autoClear: boolean;
  /** One paragraph: what the alarm means, for the Description section of the runbook. */
  description: string;
  parameters: AlarmParameter[];
  impact: string;
  possibleCauses: string[];
  /**
   * Numbered steps, each short enough to read on a phone (a test holds them under
   * `MAX_STEP_CHARS`); commands are in backticks so they render as code and can be pasted.
   * Upper-case placeholders (BUCKET, KEY, HOST…) are filled from the alarm's parameters in
   * notifications (see notifications/remediation.ts). A step that starts with `STORED_FILE` or
   * `LIVE_PEER` applies only to certificates read from the store, or from a live endpoint.
   */
  handlingProcedure: string[];
  /** How and when the alarm clears by itself. */
  clearance: string;
  /** Repository-relative path of the runbook page, "docs/alarms/<id>.md". */
  doc: string;
  /**
   * The operational case this alarm mirrors (design brief, "Where the ideas come from") and the
   * severity that case gives it, when it gives one: what a deployment that follows those procedures
   * sets in `alarms.severities`.
   */
  seed?: { case: string; severity?: Severity };
}

const P = {
  source: {
    name: "Source",
    description: "The file or object the finding is about (`<key>#<index>` for one certificate in a bundle).",
  },
  serviceName: {
    name: "ServiceName",
    description: "The service that uses the certificate or credentials, as configured.",
  },
  hostName: {
    name: "HostName",
    description: "The host (FQDN) that serves the certificate or runs the service.",
  },
  bucket: { name: "Bucket", description: "The object-storage bucket." },
  key: { name: "Key", description: "The object key of the certificate file." },
  endpoint: {
    name: "Endpoint",
    description: "The TLS endpoint (`host:port`) when the certificate was taken from a live peer.",
  },
  roleName: { name: "RoleName", description: "The role (agency) assumed to obtain temporary credentials." },
  roleArn: { name: "RoleArn", description: "The ARN of that role." },
  region: { name: "Region", description: "The region of the STS and S3 endpoints used." },
  peerGroup: { name: "PeerGroup", description: "The peer group, as configured." },
  refusedBy: {
    name: "RefusedBy",
    description: "The peers that refuse the certificate (their FQDNs, comma-separated).",
  },
  sourceKind: {
    name: "SourceKind",
    description:
      "Where AWS keeps the certificate: `acm`, `iam-server-certificate`, `secrets-manager` or `ssm-parameter` (absent for files and endpoints).",
  },
  account: { name: "Account", description: "The AWS account that holds the certificate." },
  arn: {
    name: "Arn",
    description: "The ARN of the ACM certificate, IAM server certificate, secret or parameter.",
  },
  name: {
    name: "Name",
    description:
      "The certificate's domain name (ACM), or the name of the server certificate, secret or parameter.",
  },
  trustStoreKey: {
    name: "TrustStoreKey",
    description:
      "The object key of the refusing peer's trust store (its own, or the group's CA bundle), when one peer refuses.",
  },
} as const satisfies Record<string, AlarmParameter>;

const HOST_PARAMETERS = [
  {
    name: "Source",
    description: "The host's heartbeat object, `s3://<bucket>/<prefix><host>/.watchpost-heartbeat.json`.",
  },
  {
    name: "HostName",
    description: "The host, as `watchpost push --host` names it (its host name by default).",
  },
  P.bucket,
  { name: "Key", description: "The key of the host's heartbeat object." },
  { name: "Prefix", description: "The prefix the host pushes to (`--to s3://BUCKET/PREFIX/`)." },
];

const CERTIFICATE_PARAMETERS = [
  P.source,
  P.serviceName,
  P.hostName,
  P.bucket,
  P.key,
  P.endpoint,
  P.sourceKind,
  P.account,
  P.region,
  P.arn,
  P.name,
];
/** For what only ACM knows about a certificate (its managed renewal). */
const ACM_PARAMETERS = [P.source, P.sourceKind, P.account, P.region, P.arn, P.name, P.serviceName];
/** For the checks only a live endpoint has: no stored file is involved. */
const ENDPOINT_PARAMETERS = [
  {
    name: "Source",
    description:
      "The endpoint's connection (`tls://host:port`) or the n-th certificate it sent (`tls://host:port#n`, from 0).",
  },
  P.serviceName,
  P.hostName,
  P.endpoint,
];
const CREDENTIAL_PARAMETERS = [
  P.source,
  P.serviceName,
  P.hostName,
  P.roleName,
  P.roleArn,
  P.bucket,
  P.region,
];

/** Longest step text, placeholders unfilled: about four lines on a phone. */
export const MAX_STEP_CHARS = 160;

/**
 * What a step is for, when it is not for every certificate: a PEM, DER or PKCS#7 file kept in the
 * store, a certificate a live peer presents, a Java keystore (JKS, JCEKS) or a PKCS#12 file in the
 * store. A notification keeps the steps for its alarm's material and drops the label
 * (notifications/remediation.ts); the runbook page shows them all, labelled.
 */
export const STORED_FILE = "Stored file: ";
export const LIVE_PEER = "Live peer: ";
export const FILE_OR_PEER = "Stored file or live peer: ";
export const JAVA_KEYSTORE = "Java keystore: ";
export const PKCS12_FILE = "PKCS#12 file: ";

/** The materials a step label is for. */
export type StepMaterial = "file" | "peer" | "keystore" | "pkcs12";
export const STEP_LABELS: readonly (readonly [string, readonly StepMaterial[]])[] = [
  [FILE_OR_PEER, ["file", "peer"]],
  [STORED_FILE, ["file"]],
  [LIVE_PEER, ["peer"]],
  [JAVA_KEYSTORE, ["keystore"]],
  [PKCS12_FILE, ["pkcs12"]],
];

// Every format is brought to a PEM copy first, so the inspection steps after it fit them all.
const FETCH_AND_INSPECT = [
  `${STORED_FILE}fetch it with \`aws s3 cp s3://BUCKET/KEY cert.pem\`.`,
  `${JAVA_KEYSTORE}fetch it (\`aws s3 cp s3://BUCKET/KEY store.jks\`) and copy the entry as PEM: \`keytool -list -rfc -keystore store.jks -alias ALIAS >cert.pem\`.`,
  `${PKCS12_FILE}fetch it (\`aws s3 cp s3://BUCKET/KEY store.p12\`), copy it as PEM: \`openssl pkcs12 -in store.p12 -nokeys -out cert.pem\` (\`-legacy\` for RC2).`,
  `${LIVE_PEER}save what it presents: \`openssl s_client -connect HOST:PORT -showcerts </dev/null >cert.pem\`.`,
  "See its dates and names: `openssl x509 -noout -dates -subject -ext subjectAltName -in cert.pem` (`#N` in Source: the N-th certificate, from 0).",
];

const REISSUE = [
  `${JAVA_KEYSTORE}a key entry: \`keytool -certreq -alias ALIAS -keystore store.jks -ext SAN=dns:HOST -file host.csr\`; a trusted entry: get the CA's new one.`,
  `${PKCS12_FILE}take its key out: \`openssl pkcs12 -in store.p12 -nocerts -nodes -out host.key\` (keep it private; delete it once the file is rebuilt).`,
  `${PKCS12_FILE}make a request: \`openssl req -new -key host.key -subj /CN=HOST -addext subjectAltName=DNS:HOST -out host.csr\`.`,
  `${FILE_OR_PEER}make a request: \`openssl req -new -key host.key -subj /CN=HOST -addext subjectAltName=DNS:HOST -out host.csr\`.`,
  "Sign it with your CA: `openssl x509 -req -in host.csr -CA ca.pem -CAkey ca.key -days 365 -copy_extensions copyall -out host.pem`.",
];

const REPLACE_AND_CONFIRM = [
  `${FILE_OR_PEER}check it before shipping: \`watchpost scan host.pem --ca ca.pem --expect-host HOST\` must exit 0.`,
  `${STORED_FILE}upload it with \`aws s3 cp host.pem s3://BUCKET/KEY\`, then install it on the service and reload it.`,
  `${LIVE_PEER}install it on the peer, reload it, and confirm with \`watchpost probe HOST:PORT --ca ca.pem\`.`,
  `${JAVA_KEYSTORE}a key entry takes it with its CA: \`cat host.pem ca.pem >reply.pem\`, \`keytool -importcert -alias ALIAS -keystore store.jks -file reply.pem\`.`,
  `${JAVA_KEYSTORE}a trusted entry is replaced: \`keytool -delete -alias ALIAS -keystore store.jks\`, then \`keytool -importcert\` with \`-alias ALIAS -file new.pem\`.`,
  `${PKCS12_FILE}rebuild it: \`openssl pkcs12 -export -inkey host.key -in host.pem -certfile ca.pem -name ALIAS -out store.p12\`, then delete host.key.`,
  `${JAVA_KEYSTORE}check it: \`watchpost scan store.jks --ca ca.pem --expect-host HOST\` must exit 0; upload it: \`aws s3 cp store.jks s3://BUCKET/KEY\`.`,
  `${PKCS12_FILE}check it: \`watchpost scan store.p12 --ca ca.pem --expect-host HOST\` must exit 0; upload it: \`aws s3 cp store.p12 s3://BUCKET/KEY\`.`,
  "The alarm clears by itself: an upload is re-checked within seconds, a peer at the next scheduled scan.",
];

const CERTIFICATE_CLEARANCE =
  "This alarm is cleared automatically when a later check re-examines the same file (the S3 object event after an upload, or the daily scan) and no longer finds the fault. Deleting the file also clears it. A fault that comes back later raises a new occurrence with a new UUID.";

const PEER_REFUSED_CLEARANCE =
  "This alarm is cleared automatically when a later check of the group finds every peer accepting the certificate: an upload of the certificate or of a trust store (the S3 object event, within seconds), or the daily scan. A check that could not read a certificate or a trust store of the group, or reach a peer's endpoint, clears no peer-refused alarm of the group. A fault that comes back later raises a new occurrence with a new UUID.";

const ACM_RENEWAL_CLEARANCE =
  "This alarm is cleared automatically by the next scan of the account and region (the daily scan, or an ACM event for the certificate) that finds the fault gone: ACM renewed the certificate, or it is eligible again, or it was deleted. A scan that could not list or describe the certificates (access denied, throttling) clears nothing. A fault that comes back later raises a new occurrence with a new UUID.";

const CREDENTIAL_CLEARANCE =
  "This alarm is cleared automatically by the first credential check (every 5 minutes) that completes the failing step. Raising waits for two consecutive failing checks so one network blip pages nobody; clearing does not wait. A fault that comes back later raises a new occurrence with a new UUID.";

const CONFIRM_CREDENTIALS = [
  "Confirm: `watchpost check-credentials --bucket BUCKET --role-arn ROLE_ARN --region REGION` must exit 0.",
  "The alarm clears by itself at the next credential check (within 5 minutes) that passes.",
];

type Entry = Omit<
  AlarmDefinition,
  "id" | "check" | "severity" | "autoClear" | "doc" | "clearance" | "parameters"
> &
  Partial<Pick<AlarmDefinition, "clearance" | "parameters">>;

const PEER_CLUSTER =
  'A cluster of up to six peers, each shown as "Certificate: Valid" or "Certificate: Invalid (Common Name in certificate does not match)"';
const AGENCY =
  "A metadata service that cannot get temporary AK/SK (a role gone wrong, or a cluster unbound from its agency): object storage can no longer be reached";

/** The seed cases the alarms mirror (see AlarmDefinition.seed). */
const SEEDS: Partial<Record<CheckName, AlarmDefinition["seed"]>> = {
  expired: {
    case: "An HA certificate file expired on a cluster host (FusionInsight ALM-45655)",
    severity: "major",
  },
  expiring: { case: "The same HA certificate before it expires (the seed alarms on expiry only)" },
  "not-yet-valid": {
    case: "A Kubernetes API server certificate regenerated at boot while the VM clock ran a month ahead",
  },
  "hostname-mismatch": { case: PEER_CLUSTER },
  "untrusted-chain": { case: `${PEER_CLUSTER}; each must chain to a CA every other peer trusts` },
  "credentials-unobtainable": { case: AGENCY, severity: "major" },
  "credentials-rejected": { case: AGENCY, severity: "major" },
  "storage-access-denied": { case: AGENCY, severity: "major" },
  "storage-unreachable": { case: AGENCY, severity: "major" },
  "bucket-missing": { case: AGENCY, severity: "major" },
};

const ENTRIES: Record<CheckName, Entry> = {
  expired: {
    title: "Certificate expired",
    description:
      "A stored or presented certificate is past its notAfter date. Every TLS client that checks dates refuses it, so the service that presents it cannot be reached securely.",
    impact:
      "Clients fail the TLS handshake with `certificate has expired`; HA peers, API servers or cluster members using this certificate stop talking to each other. Expect outages of everything that depends on the service.",
    possibleCauses: [
      "The certificate was not renewed in time (renewal job failed, or renewal is manual and was missed).",
      "A renewed certificate was issued but never uploaded to the store or installed on the host.",
      "An intermediate CA certificate in the same bundle expired (the Source suffix `#N` tells which one).",
    ],
    handlingProcedure: [...FETCH_AND_INSPECT, ...REISSUE, ...REPLACE_AND_CONFIRM],
  },
  expiring: {
    title: "Certificate expiring soon",
    description:
      "A certificate will expire within the warning threshold (default 30 days → minor, 7 days → major). Nothing is broken yet; this alarm is the time to renew calmly.",
    impact:
      "None yet. When the certificate expires, clients refuse it and the alarm becomes `Certificate expired` (1001, critical).",
    possibleCauses: [
      "Normal certificate life: renewal is due.",
      "Automatic renewal is failing silently (check the renewal job's logs).",
      "A CA certificate is due (an intermediate, or a certificate of the trusted CA bundle, whose message then starts with `Trusted CA:`): the message counts the certificates that chain through it and stop working with it. An intermediate no certificate of its file uses is reported as `warning` and is better removed than renewed.",
    ],
    handlingProcedure: [
      ...FETCH_AND_INSPECT,
      "For a CA certificate: renew it with the same key (or cross-sign a successor), add it wherever the old one is, and keep both until all it issued are replaced.",
      ...REISSUE,
      ...REPLACE_AND_CONFIRM,
    ],
  },
  "not-yet-valid": {
    title: "Certificate not yet valid",
    description:
      "A certificate's notBefore lies more than the allowed skew (default 300 s) in the future. It was almost always issued on a host whose clock ran ahead — typically a VM whose hardware clock was wrong at boot, later corrected by NTP.",
    impact:
      "Clients fail with `certificate is not yet valid` exactly as if it had expired: the service is unreachable over TLS until the date is reached or the certificate is re-issued.",
    possibleCauses: [
      "The issuing host's clock was ahead when the certificate was generated (wrong hardware clock at boot, NTP not yet synchronised).",
      "The certificate was deliberately issued with a future start date and deployed too early.",
    ],
    handlingProcedure: [
      ...FETCH_AND_INSPECT,
      "On the host that issued it, check the clock: `timedatectl status` must say `System clock synchronized: yes`.",
      "Fix NTP there first (`chronyc tracking` or `ntpq -p`), or the new certificate will be wrong too.",
      ...REISSUE,
      ...REPLACE_AND_CONFIRM,
    ],
  },
  "hostname-mismatch": {
    title: "Certificate does not name its host",
    description:
      "The certificate's subject alternative names do not match the host name that serves it, and clients that verify host names (RFC 6125) refuse it (major). A certificate that names the host only in its common name, without any DNS subject alternative name, is minor: OpenSSL-based clients and Java still fall back to the common name, while Go (since 1.15: kubectl, etcd, Prometheus), Chrome, Firefox, Safari and rustls refuse it.",
    impact:
      "Clients report `Hostname/IP does not match certificate's altnames` or `Common Name in certificate does not match`; the peer is shown as `Certificate: Invalid` and cluster traffic to it fails.",
    possibleCauses: [
      "The certificate of another host was deployed here (copied file, wrong key in the store).",
      "The host was renamed or got a new FQDN and the certificate was not re-issued.",
      "A wildcard certificate is used for a name two labels deep (`*.example.com` does not cover `a.b.example.com`).",
      "The certificate was made without `subjectAltName` (old `openssl req` recipes put the host name in the CN only).",
    ],
    handlingProcedure: [
      ...FETCH_AND_INSPECT,
      "Compare the names it carries (subjectAltName above) with the host that serves it: HOST.",
      ...REISSUE,
      ...REPLACE_AND_CONFIRM,
    ],
  },
  "untrusted-chain": {
    title: "Certificate does not chain to the trusted CA",
    description:
      "The certificate fails the path validation TLS clients perform (RFC 5280 §6 and the CA/Browser Forum profile): no path leads to the configured trusted CA, or every path breaks a rule — an intermediate is missing, a signature does not verify, a link is expired, not a CA or not allowed to sign, a path length or name constraint is exceeded, the certificate is not allowed for its purpose (serverAuth for a TLS server), a key or signature algorithm is one clients refuse (DSA, RSA under 2048 bits, P-192, SHA-1), or an extension is unknown and critical, duplicated or malformed. When several paths exist the best one is judged. The message names the link (`chain link N`: 0 is the certificate, then its issuers), the rule (RFC 5280 section or Baseline Requirements clause), the clients that refuse it, and the fix. Severity says who refuses it: major — the clients in general use; minor — some (named, e.g. Python 3.13's strict OpenSSL mode, rustls, Go); warning — strict validators only, or a chain that works today but whose CA expires before the certificate.",
    impact:
      "Clients that refuse the chain fail the handshake (`unable to get local issuer certificate`, `certificate signature failure`, `unsuitable certificate purpose`, `path length constraint exceeded`…); peers cannot join or talk to the group. For a minor finding, only the clients named in the message fail.",
    possibleCauses: [
      "The certificate was issued by a different CA (for example a re-created CA) than the one peers trust.",
      "The intermediate CA certificate is missing from the file or bundle.",
      "An intermediate or root in the chain expired before the leaf.",
      "The issuing tool wrote a profile clients reject: an intermediate without `basicConstraints critical,CA:TRUE` or `keyUsage keyCertSign`, a leaf without `authorityKeyIdentifier` (Python 3.13 and later refuse it), a leaf whose `extendedKeyUsage` lacks `serverAuth`, or a weak key or signature.",
      "A CA with name constraints issued a certificate for a name outside them.",
    ],
    handlingProcedure: [
      ...FETCH_AND_INSPECT,
      "Read the message: it names the failing link (`chain link N`: 0 is the certificate, then its issuers), the rule and the fix.",
      'Split the file, one certificate each (link N goes to cert-(N+1).pem): `awk \'/BEGIN/{n++} {print > ("cert-" n ".pem")}\' cert.pem`.',
      "Show the failing link's extensions, for link 0: `openssl x509 -noout -text -in cert-1.pem`.",
      "Fetch the source's trusted CA bundle: `aws s3 cp s3://BUCKET/CA_KEY ca.pem` (CA_KEY: the source's caBundleKey).",
      "Try it as strict clients do: `openssl verify -x509_strict -purpose sslserver -CAfile ca.pem -untrusted cert.pem cert.pem`.",
      "Compare `openssl x509 -noout -issuer -in cert.pem` with `openssl x509 -noout -subject -dates -in ca.pem`.",
      `${FILE_OR_PEER}add the missing intermediate to the file (leaf first, then intermediates), or re-issue from the trusted CA:`,
      ...REISSUE,
      "For a TLS server, the request also needs `-addext extendedKeyUsage=serverAuth -addext keyUsage=digitalSignature`.",
      ...REPLACE_AND_CONFIRM,
    ],
  },
  "weak-crypto": {
    title: "Certificate uses weak cryptography",
    description:
      "The certificate uses a key or signature that is no longer considered safe: RSA under 2048 bits, EC under 256 bits, or an MD5 or SHA-1 signature (self-signed roots are exempt from the signature rule); or it holds an RSA key under 3072 bits and is valid past 2030-12-31, after which NIST disallows such keys for signing (SP 800-57 Part 1 Rev. 5): raised as a warning while that is its only weakness.",
    impact:
      "Modern clients and libraries may refuse the certificate outright; where accepted, an attacker with enough resources could forge or break it.",
    possibleCauses: [
      "The certificate was issued long ago with old defaults.",
      "A tool or script generating certificates still uses `-sha1` or a 1024-bit key.",
      "A long-lived certificate (a CA, or a leaf of more than a few years) was issued with a 2048-bit RSA key, the default of most tools.",
    ],
    handlingProcedure: [
      ...FETCH_AND_INSPECT,
      "See the key and signature: `openssl x509 -noout -text -in cert.pem | grep -E 'Public-Key|Signature Alg'`.",
      "Make a strong key: `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out host.key` (or RSA of 3072 bits).",
      ...REISSUE,
      ...REPLACE_AND_CONFIRM,
    ],
  },
  unreadable: {
    title: "Certificate file cannot be read",
    description:
      "A file in the certificate store yielded no certificate, or a live endpoint presented none. The reason code says why: `empty`, `bad-pem`, `bad-der`, `bad-password` (PKCS#12 file or Java keystore), `bad-keystore` (a damaged JKS or JCEKS file), `unsupported-format`, `too-large` or `io-error` for a file; `timeout`, `unreachable` (no connection), `not-tls` (the port answers, but not with TLS, or refused the STARTTLS upgrade) or `handshake-failed` (a TLS alert) for an endpoint. Nothing in it is being checked until it is fixed; an endpoint's other alarms stand meanwhile.",
    impact:
      "Whatever certificate this file should hold is unwatched: it may be expired without any other alarm. The service reading the file probably fails to start or reload too.",
    possibleCauses: [
      "The file was truncated or corrupted during upload (reason `empty`, `bad-pem`, `bad-der`, `bad-keystore`).",
      "The PKCS#12 password configured for watchpost is wrong or missing (reason `bad-password`).",
      "A Java keystore's integrity check fails with the configured password (reason `bad-password`): a wrong password, or a file changed since keytool wrote it. Its certificates are still read and judged; this alarm says the file is not the one its password protects.",
      "Something other than a certificate was stored under a certificate prefix (reason `unsupported-format`).",
      "The file is larger than the size cap, default 1 MiB (reason `too-large`).",
      "The endpoint's service is down, or a route, security group or firewall blocks the scan (`timeout`, `unreachable`).",
      "The service listens without TLS, on another port, or needs a different STARTTLS setting (`not-tls`).",
    ],
    handlingProcedure: [
      "Fetch it: `aws s3 cp s3://BUCKET/KEY cert.bin`, then look: `ls -l cert.bin; file cert.bin; head -c 200 cert.bin`.",
      "PEM? `openssl x509 -noout -subject -in cert.bin`. DER? add `-inform DER`.",
      "PKCS#7? `openssl pkcs7 -print_certs -in cert.bin`. PKCS#12? `openssl pkcs12 -info -nokeys -in cert.bin` (`-legacy` for RC2).",
      "Java keystore? `keytool -list -v -keystore cert.bin -storepass:file pass.txt` refuses a password that does not verify the store.",
      "For `bad-password`: put the right password in the source's secret (deployed) or the password variable or file (CLI).",
      "Otherwise check a good file with `watchpost scan host.pem`, then upload it: `aws s3 cp host.pem s3://BUCKET/KEY`.",
      `${LIVE_PEER}from the scan's network try \`watchpost probe HOST:PORT\` (add \`--starttls P\` if configured); check the service runs with TLS on.`,
      "The alarm clears by itself: an upload is re-checked within seconds, otherwise at the next scheduled scan.",
    ],
  },
  "served-mismatch": {
    title: "Service serves a different certificate than the stored one",
    description:
      "A live endpoint presents a leaf certificate that differs (by SHA-256 of its DER) from the copy kept in the store for it (`storedCertificateKey` of an endpoint, or a peer's `certificateKey` and `endpoint`). The message says which is newer. Major when the stored one is newer: the certificate was renewed on disk but the service was never reloaded, and it will fail on the old certificate's expiry. Major too when the served certificate has another subject than the stored one: that is no renewal, but another service's certificate on the service, or a stored copy that is not the service's. Minor when the served one is newer (the store is out of date) or neither is.",
    impact:
      "Stored newer: clients keep getting the old certificate and fail when it expires, although the renewal was done. Served newer: nothing fails now, but a redeploy or restore from the store would roll the service back to the older certificate.",
    possibleCauses: [
      "The certificate was renewed and written to disk and the store, but the service was not reloaded or restarted.",
      "Only some instances behind the endpoint were reloaded (a load balancer alternates between them).",
      "Another subject: the service was given another service's certificate, or the configuration names the wrong stored copy.",
      "The service was given a certificate by hand, and the stored copy was never updated.",
    ],
    handlingProcedure: [
      "Read the message: it names both certificates (subject, serial, validity) and which is newer.",
      "See what is served: `openssl s_client -connect HOST:PORT -servername HOST </dev/null | openssl x509 -noout -serial -dates`.",
      "See what is stored: `aws s3 cp s3://BUCKET/KEY - | openssl x509 -noout -serial -dates`.",
      "Stored newer: install it on the service if needed, then reload or restart the service (e.g. `systemctl reload SERVICE`).",
      "Served newer: upload what the service serves: `aws s3 cp host.pem s3://BUCKET/KEY`.",
      "Confirm: `watchpost probe HOST:PORT --ca ca.pem` shows the same serial as the stored copy.",
    ],
    clearance:
      "This alarm is cleared automatically by the next probe of the endpoint (hourly by default, or at the next scheduled scan for a peer) that finds the served and stored certificates identical. A probe that cannot connect, or a stored copy that cannot be read, clears nothing. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "host-silent": {
    title: "Host stopped pushing its certificates",
    description:
      "A host that runs `watchpost push` has not written its heartbeat for longer than its limit: by default the interval it declares (`push --every`) plus an hour, or 25 hours when it declares none; `hosts.silentAfterMinutes` and `hosts.silentAfterByHost` in the configuration set others. The bucket still holds the host's last copies, and the scan keeps judging them, but nothing says they are what the host has now.",
    impact:
      "Certificates renewed, replaced or left to expire on the host are no longer seen: an expiry there can go unalarmed. Alarms on the host's old copies stay as they were.",
    possibleCauses: [
      "The timer or cron job was disabled, removed or never enabled after a reinstall (`systemctl enable --now watchpost-push.timer`).",
      "Every run fails before reaching the bucket: credentials (instance profile), network to S3, a wrong bucket or region.",
      "The host's role may list and upload but not write the heartbeat (a hand-made policy narrower than `watchpost push --print-policy`).",
      "The host is down, or was decommissioned without being retired.",
    ],
    handlingProcedure: [
      "When did it last push? `aws s3api head-object --bucket BUCKET --key KEY --query LastModified`.",
      "On HOST: `systemctl list-timers watchpost-push.timer` and `journalctl -u watchpost-push -n 50` show the last runs and what they said.",
      "Under cron: `grep watchpost-push /var/log/syslog | tail` (the example cron entry logs under that tag).",
      "Run it as the unit does: `systemctl start watchpost-push.service; systemctl status watchpost-push.service`.",
      "`the bucket cannot be listed`: check the host's credentials (`aws sts get-caller-identity`) and its route to S3.",
      "`the heartbeat could not be written`: give the role what `watchpost push --print-policy` prints for HOST.",
      'Decommissioned? Retire it: delete its heartbeat, `aws s3 rm s3://BUCKET/KEY`, and its copies (docs/push.md, "Retiring a host").',
      "The alarm clears by itself within seconds of the host's next push, or of its heartbeat's deletion.",
    ],
    parameters: HOST_PARAMETERS,
    clearance:
      "This alarm is cleared automatically as soon as the host's next push writes its heartbeat (its S3 object event is re-checked within seconds), or when the heartbeat is deleted (the host was retired). Silence is checked every 15 minutes by default (`schedules.hostCheck`). A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "host-clock-skew": {
    title: "Host clock is off",
    description:
      "At its last push, a host's clock differed from S3's by more than the tolerance (`hosts.clockSkewSeconds`, by default the certificate skew of 300 s), beyond the measurement's own uncertainty. `watchpost push` brackets each request to S3 between two readings of the host's clock and compares them with the `Date` header S3 stamps on its response; the message says by how much the host is ahead or behind.",
    impact:
      "Ahead: certificates issued or regenerated on the host (MicroK8s and kubeadm at boot, renewal scripts) start in the future, and every other machine refuses them as not yet valid (alarm 1003) until the clock catches up. Behind: the host itself refuses valid certificates as not yet valid, accepts expired ones, and beyond 15 minutes AWS refuses its requests (`RequestTimeTooSkewed`).",
    possibleCauses: [
      "Time synchronisation is not running or cannot reach its servers (chronyd or systemd-timesyncd stopped, UDP 123 blocked).",
      "A VM booted with a wrong hardware clock (cloned, restored from a snapshot, resumed after a long suspend) and NTP has not corrected it yet.",
      "The hardware clock is kept in local time while the system reads it as UTC (or the reverse).",
    ],
    handlingProcedure: [
      "On HOST: `timedatectl status` must say `System clock synchronized: yes`; `date -u` shows its time in UTC.",
      "See the offset and the time sources: `chronyc tracking` and `chronyc sources -v` (`ntpq -p` with ntpd).",
      "Step the clock now: `chronyc makestep` (or restart systemd-timesyncd); `hwclock --systohc` keeps it across reboots.",
      "Certificates made on HOST while it ran ahead are not yet valid elsewhere (1003): re-issue them only once its clock is right.",
      "Every certificate of a scan not yet valid? Then the clock of the machine running the scan may be behind instead: read 1003's message.",
      "Confirm: push again on HOST (`watchpost push DIR --to s3://BUCKET/PREFIX`, as its timer does); the alarm then clears within seconds.",
    ],
    parameters: HOST_PARAMETERS,
    clearance:
      "This alarm is cleared automatically by the host's next push whose clock is within the tolerance (its heartbeat's S3 object event is re-checked within seconds), or when its heartbeat is deleted (the host was retired). A push that measured no clock (S3 sent no `Date` header) clears nothing. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  revoked: {
    parameters: ENDPOINT_PARAMETERS,
    title: "Certificate revoked",
    description:
      "A live endpoint stapled an OCSP response (RFC 6960), signed by the certificate's issuer or by a responder it delegated, that says the certificate the endpoint serves is revoked. The message gives the revocation time and, when the CA stated one, the reason.",
    impact:
      "Clients that check revocation (Firefox on every stapled response, others when they fetch OCSP or CRLs) refuse the connection. A revoked certificate is usually revoked for a reason: a compromised or mis-issued key.",
    possibleCauses: [
      "The certificate was revoked on purpose (key compromise, re-issue, decommissioned host) and the service was not given its replacement.",
      "It was revoked by mistake, or the CA revoked a batch of mis-issued certificates.",
    ],
    handlingProcedure: [
      "See what the server staples: `openssl s_client -connect HOST:PORT -servername HOST -status </dev/null | grep -A3 'Cert Status'`.",
      "Ask your CA why it was revoked, and whether the key may be compromised.",
      "Issue a new certificate on a new key, install it (and its chain) on the service, and reload it.",
      "Confirm: `watchpost probe HOST:PORT` reports `tls.ocsp.status` good, or no staple, and no revoked finding.",
    ],
    clearance:
      "This alarm is cleared automatically by the next probe of the endpoint whose stapled OCSP response, verified, says the served certificate is good. A probe that gets no stapled response cannot tell, and clears nothing: a service that stopped stapling keeps the alarm until it staples again. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "ocsp-staple": {
    parameters: ENDPOINT_PARAMETERS,
    title: "Stapled OCSP response unusable or missing",
    description:
      "A live endpoint staples an OCSP response that clients cannot use — not successful, for another certificate, a signature that does not verify with the issuer's key or an authorised responder's (RFC 6960 §4.2.2.2), status unknown (major), stale past its nextUpdate or not yet valid (minor) — or serves a must-staple certificate (TLS feature extension, RFC 7633) without any staple (major). The reason code says which.",
    impact:
      "Firefox refuses the connection on a stapled response it cannot verify, or on a must-staple certificate without one; other clients ignore the staple. A stale staple means the service no longer refreshes it from the CA.",
    possibleCauses: [
      "The service cannot reach the CA's OCSP responder (firewall, proxy, DNS), so it keeps stapling an old response.",
      "A response file configured by hand (HAProxy `.ocsp`, `-status_file`) is old or belongs to another certificate.",
      "The certificate was renewed and the service still staples the response for the old one.",
      "The service's or responder's clock is wrong (not yet valid).",
    ],
    handlingProcedure: [
      "See the staple: `openssl s_client -connect HOST:PORT -servername HOST -status </dev/null | sed -n '/OCSP response/,/---/p'`.",
      "Check the service can reach the responder named in the certificate: `openssl x509 -noout -ocsp_uri -in cert.pem`.",
      "Reload the service so it fetches a fresh response; replace a response file that is configured by hand.",
      "Must-staple without a staple: turn stapling on (nginx `ssl_stapling on`), or re-issue without must-staple.",
      "Confirm: `watchpost probe HOST:PORT` shows `tls.ocsp` with a good status and a nextUpdate in the future.",
    ],
    clearance:
      "This alarm is cleared automatically by the next probe of the endpoint that finds a usable stapled response, or no staple where none is required. A probe that cannot connect clears nothing. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "served-chain": {
    parameters: ENDPOINT_PARAMETERS,
    title: "Endpoint sends an incomplete or disordered chain",
    description:
      "What a live endpoint sends as its certificate chain, exactly as sent, is wrong: an intermediate is missing (major — reported even when a trust store here could complete the chain, since clients do not have it), the certificates are out of order (minor), certificates that are not on the chain are sent (warning), or the root is sent (warning: harmless, noted). The message lists what was sent and which clients fail.",
    impact:
      "Missing intermediate: clients that build the chain only from what the server sends (OpenSSL, curl, Python, Go, Java, Node.js, most apps and devices) fail the handshake, while browsers may still work — the classic 'works in my browser' outage. Wrong order: strict or older TLS stacks fail. Extra certificates and a root sent only make handshakes larger.",
    possibleCauses: [
      "The service is configured with the leaf certificate file instead of the full-chain file (leaf, then intermediates).",
      "The chain file was assembled by hand in the wrong order, or still holds an old intermediate or another host's certificate.",
      "The CA changed its intermediate at renewal and the service still sends the old one.",
    ],
    handlingProcedure: [
      "See what is sent, in order: `openssl s_client -connect HOST:PORT -servername HOST -showcerts </dev/null`.",
      "Build the chain file: the leaf first, then its issuing intermediate, then that one's issuer; the root may be left out.",
      "Point the service at it (nginx `ssl_certificate`, Apache `SSLCertificateFile`, Postfix `smtpd_tls_chain_files`).",
      "Reload the service, then confirm: `watchpost probe HOST:PORT` shows no served-chain finding.",
    ],
    clearance:
      "This alarm is cleared automatically by the next probe of the endpoint that finds the chain sent as it should be. A probe that cannot connect clears nothing. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "weak-protocol": {
    parameters: ENDPOINT_PARAMETERS,
    title: "Endpoint speaks only an obsolete TLS version",
    description:
      "A live endpoint refused a handshake offering TLS 1.2 and 1.3 and completed one only when TLS 1.0 or 1.1 were allowed too: it speaks nothing newer. The message names the version. (RFC 8996 deprecates TLS 1.0 and 1.1.)",
    impact:
      "Current clients refuse these versions by default: browsers, OpenSSL 3 at its default security level, Java 16 and later, Node.js, Go. Clients that still connect do so over a protocol with known weaknesses.",
    possibleCauses: [
      "An old server or appliance whose TLS library predates TLS 1.2.",
      "The service's configuration pins the protocol (`ssl_protocols TLSv1`, `SSLProtocol -all +TLSv1`, `-tls1`).",
    ],
    handlingProcedure: [
      "See what it speaks: `openssl s_client -connect HOST:PORT -tls1_2 </dev/null` fails, and with `-tls1 -cipher DEFAULT@SECLEVEL=0` works.",
      "Allow TLS 1.2 and 1.3 in the service (`ssl_protocols TLSv1.2 TLSv1.3;`, `SSLProtocol -all +TLSv1.2 +TLSv1.3`).",
      "Upgrade the server or its TLS library if it cannot speak TLS 1.2.",
      "Reload the service, then confirm: `watchpost probe HOST:PORT` reports TLSv1.2 or later.",
    ],
    clearance:
      "This alarm is cleared automatically by the next probe of the endpoint that completes a handshake with TLS 1.2 or later. A probe that cannot connect clears nothing. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "peer-refused": {
    title: "A cluster peer will refuse another peer's certificate",
    description:
      "In a peer group, every peer checks the certificate of every other peer against its own trust store: as a TLS client when it connects to that peer (role `server`), and as a TLS server when that peer connects to it (role `client`, mutual TLS). This alarm says that at least one peer will refuse a peer's certificate. The message names both peers and why: the certificate chains to a CA the refusing peer's trust store does not hold (typically after a renewal by another CA, or a CA added on some peers only), or the certificate is not allowed for the role (an extendedKeyUsage with serverAuth only refuses it as a client, as etcd, Kafka and ZooKeeper do), or another rule of path validation. One alarm per refused certificate, listing every peer that refuses it; the certificate's own expiry and names have their own alarms.",
    parameters: [
      P.source,
      P.peerGroup,
      P.hostName,
      P.refusedBy,
      P.trustStoreKey,
      P.bucket,
      P.key,
      P.endpoint,
    ],
    impact:
      "Traffic between the two peers fails the TLS handshake (`unable to get local issuer certificate`, `certificate specifies an incompatible key usage`, `unsupported certificate purpose`): the peer whose certificate is refused cannot join, replicate to or vote with the peers that refuse it. A quorum can be lost when several peers are affected.",
    possibleCauses: [
      "The peer's certificate was renewed by a different CA (a new issuing CA, a re-created CA) that not every peer's trust store holds yet.",
      "A CA was added to the trust stores of some peers only, or one peer's trust store was replaced with an older copy.",
      "The certificate was re-issued from a template with `extendedKeyUsage=serverAuth` only, so peers refuse it when it connects to them as a client.",
      "The certificate breaks a rule every TLS stack enforces (a keyUsage without digitalSignature, a weak signature): every peer refuses it.",
    ],
    handlingProcedure: [
      "Read the message: it names the refusing peers (PEER), the certificate they refuse (HOST's), the role, and why.",
      `${STORED_FILE}fetch the refused certificate: \`aws s3 cp s3://BUCKET/KEY cert.pem\`.`,
      `${LIVE_PEER}save what it presents: \`openssl s_client -connect HOST:PORT -servername HOST -showcerts </dev/null >cert.pem\`.`,
      "See its issuer and purposes: `openssl x509 -noout -issuer -ext extendedKeyUsage,keyUsage -in cert.pem`.",
      "Fetch the refusing peer's trust store (the message names its object): `aws s3 cp s3://BUCKET/TRUST_KEY truststore`.",
      "List a JKS or PKCS#12 one: `keytool -list -v -keystore truststore -storepass:file pass.txt | grep -E '^(Owner|Issuer)'`.",
      "List a PEM bundle: `openssl crl2pkcs7 -nocrl -certfile truststore | openssl pkcs7 -print_certs -noout`.",
      "Judge the pair as watchpost does: `watchpost scan --peer HOST=cert.pem --peer PEER=peer.pem --truststore PEER=truststore`.",
      "CA missing: `keytool -importcert -noprompt -alias new-ca -file ca.pem -keystore truststore -storepass:file pass.txt`.",
      "For a PEM bundle: `cat ca.pem >> truststore`. Then upload it to s3://BUCKET/TRUST_KEY (or push it from the host) and reload that peer.",
      "Wrong purpose: re-issue it with `-addext extendedKeyUsage=serverAuth,clientAuth -addext keyUsage=digitalSignature`:",
      ...REISSUE,
      `${STORED_FILE}install it on HOST, reload the service there, and upload it: \`aws s3 cp host.pem s3://BUCKET/KEY\`.`,
      "The alarm clears by itself once every peer accepts it: an upload is re-checked within seconds, otherwise at the next scheduled scan.",
    ],
    clearance: PEER_REFUSED_CLEARANCE,
  },
  "renewal-ineligible": {
    title: "ACM will not renew a certificate by itself",
    description:
      "An ACM-issued certificate (AMAZON_ISSUED, or PRIVATE from AWS Private CA) has `RenewalEligibility` `INELIGIBLE` in DescribeCertificate: ACM's managed renewal will not renew it, so it expires on its notAfter date unless someone acts. ACM renews a public certificate only while it is associated with another AWS service (CloudFront, Elastic Load Balancing, API Gateway...) and its domains can be validated; a private certificate only when exported or associated. Raised as major while `InUseBy` names a resource, minor when nothing uses it (nothing breaks yet; the message says so).",
    parameters: ACM_PARAMETERS,
    impact:
      "When the certificate expires, every load balancer, distribution or API that uses it serves an expired certificate and clients refuse the connection. ACM sends its own expiry events only from 45 days before expiry.",
    possibleCauses: [
      "The certificate is not associated with any AWS service (InUseBy is empty), so ACM does not renew it.",
      "It was exported or used outside AWS (a private certificate that was never exported is not renewed).",
      "It was requested with email validation and its domains can no longer be validated.",
    ],
    handlingProcedure: [
      "See it: `aws acm describe-certificate --certificate-arn ARN --region REGION --query Certificate.[RenewalEligibility,InUseBy,NotAfter]`.",
      "Not used? Delete it: `aws acm delete-certificate --certificate-arn ARN --region REGION`, or keep it and silence the alarm.",
      "Used outside AWS: request a new one (`aws acm request-certificate --domain-name NAME --validation-method DNS --region REGION`).",
      "Then attach the new one where the old one is used and delete the old one.",
      "Check it as watchpost does: `aws acm get-certificate --certificate-arn ARN --region REGION --query Certificate --output text >cert.pem`.",
      "Then `watchpost scan cert.pem --expect-host NAME` must exit 0.",
      "The alarm clears by itself at the next scan (daily, or an ACM event) that finds it renewable, renewed or deleted.",
    ],
    clearance: ACM_RENEWAL_CLEARANCE,
  },
  "renewal-stuck": {
    title: "ACM's managed renewal of a certificate is stuck",
    description:
      "ACM started renewing an ACM-issued certificate, but `RenewalSummary.RenewalStatus` in DescribeCertificate is `PENDING_VALIDATION` (ACM cannot validate one of its domains) or `FAILED` (with `RenewalStatusReason`, e.g. CAA_ERROR or DOMAIN_NOT_ALLOWED). Without action the certificate expires. Raised as major while `InUseBy` names a resource, minor when nothing uses it.",
    parameters: ACM_PARAMETERS,
    impact:
      "The certificate is not renewed: when it expires, every resource that uses it serves an expired certificate and clients refuse the connection.",
    possibleCauses: [
      "The DNS validation CNAME record was removed, or the domain moved to another DNS provider.",
      "Email validation: nobody approved the renewal email.",
      "A CAA record forbids Amazon from issuing for the domain (CAA_ERROR).",
      "For a private certificate: the AWS Private CA is disabled, deleted or over its limits (PCA_* reasons).",
    ],
    handlingProcedure: [
      "See why: `aws acm describe-certificate --certificate-arn ARN --region REGION --query Certificate.RenewalSummary`.",
      "PENDING_VALIDATION: add the CNAME records listed under DomainValidationOptions.ResourceRecord back to the zone.",
      "CAA_ERROR: allow amazon.com (or amazontrust.com) in the domain's CAA records.",
      "PCA reasons: check the private CA: `aws acm-pca describe-certificate-authority --certificate-authority-arn CA_ARN`.",
      "Once renewed, check it: `aws acm get-certificate --certificate-arn ARN --region REGION --query Certificate --output text >cert.pem`.",
      "Then `watchpost scan cert.pem --expect-host NAME` must exit 0.",
      "ACM retries by itself once validation succeeds; the alarm clears at the next scan that finds the renewal done.",
    ],
    clearance: ACM_RENEWAL_CLEARANCE,
  },
  "source-access-denied": {
    title: "A certificate source cannot be listed: access denied",
    description:
      "The scan may not list a configured source: AWS refused the List call of ACM, IAM, Secrets Manager or Parameter Store (`AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation`...), or the reader role of a member account cannot be assumed. One alarm per source, account and Region (`Source` is the scope, e.g. `secretsmanager://ACCOUNT/REGION/tls/`); the message names the call that was refused and the permission it needs.",
    parameters: [
      {
        name: "Source",
        description:
          "The scope that could not be listed: `<kind>://<account>/<region>[/<name prefix or path>][?<tags>]`.",
      },
      P.sourceKind,
      { name: "Account", description: "The AWS account whose certificates could not be listed." },
      { name: "Region", description: "The Region (`global` for IAM server certificates)." },
    ],
    impact:
      "No certificate of this source, account and Region is re-checked: one that expires there raises nothing, and the alarms raised there before stand as they were (none is cleared while the listing is refused).",
    possibleCauses: [
      "The scan role's policy lacks the List permission (e.g. after a hand edit), or an SCP or permissions boundary denies it.",
      "A member account: the reader role is missing there, does not trust the scan role, or expects another external ID.",
      "A member account's reader role was deployed from an older template without the permission the message names.",
    ],
    handlingProcedure: [
      "Read the permission the alarm's message names (e.g. `secretsmanager:ListSecrets`).",
      "Own account: simulate it: `aws iam simulate-principal-policy --policy-source-arn SCAN_ROLE_ARN --action-names PERMISSION`.",
      "Member account: `aws sts assume-role --role-arn arn:aws:iam::ACCOUNT:role/watchpost-reader --role-session-name check --external-id ID`.",
      "Denied by an SCP? `aws organizations list-policies-for-target --target-id ACCOUNT --filter SERVICE_CONTROL_POLICY`.",
      "Deploy the stack (own account) or the member-account StackSet (docs/member-accounts.md) again.",
      "List as the scan does: `aws acm list-certificates --region REGION --max-items 1` (or the kind's List call).",
      "Then `aws acm get-certificate --certificate-arn ARN --region REGION --query Certificate --output text >cert.pem`.",
      "`watchpost scan cert.pem` reads it as the scan will.",
      "The alarm clears by itself at the next scan that lists the source; the certificates' own alarms clear only as they are re-checked.",
    ],
    clearance:
      "This alarm is cleared automatically by the next scan (daily) that lists the source to its end. It never clears the alarms of the certificates there: those stand until a scan re-checks each. A listing that fails for another reason (throttling, network) neither raises nor clears it. A fault that comes back later raises a new occurrence with a new UUID.",
  },
  "credentials-unobtainable": {
    title: "Temporary credentials cannot be obtained",
    description:
      "Assuming the configured role (the agency) failed, so no temporary AK/SK could be obtained for object storage. The message names the cause: trust removed (the cluster was unbound from its agency), role missing, STS disabled in the region, the caller's own credentials expired, or STS unreachable.",
    impact:
      "Everything that reads or writes object storage with these temporary credentials stops working once the credentials it already holds expire: backups, data loads, log shipping.",
    possibleCauses: [
      "The role's trust policy no longer names this account or external ID (the agency was unbound or edited).",
      "The role was deleted or renamed.",
      "STS is disabled in the region (`RegionDisabledException`).",
      "The checker's own credentials expired, or STS cannot be reached from the network.",
    ],
    handlingProcedure: [
      "Try it as watchpost: `aws sts assume-role --role-arn ROLE_ARN --role-session-name manual --query Credentials.Expiration`.",
      "Add `--external-id ID` if the target has one. Never paste returned keys anywhere.",
      "See who the role trusts: `aws iam get-role --role-name ROLE_NAME --query Role.AssumeRolePolicyDocument`.",
      "It must trust the account or role that runs watchpost (with the external ID). Restore it if the agency was unbound:",
      "`aws iam update-assume-role-policy --role-name ROLE_NAME --policy-document file://trust.json`",
      "For `RegionDisabledException`: activate STS for REGION in IAM → Account settings.",
      "Otherwise check the caller (`aws sts get-caller-identity`) and the network path to STS.",
      ...CONFIRM_CREDENTIALS,
    ],
  },
  "credentials-rejected": {
    title: "Temporary credentials rejected by storage",
    description:
      "Temporary credentials were obtained, but object storage refuses the key itself (`InvalidAccessKeyId`, `ExpiredToken`, `InvalidToken`, `SignatureDoesNotMatch`) or the request time (`RequestTimeTooSkewed`).",
    impact:
      "Object storage cannot be reached with these credentials: every read and write fails with an authentication error.",
    possibleCauses: [
      "The storage endpoint is not the one that trusts this STS (S3-compatible store configured against the wrong STS endpoint).",
      "The clock of the host making the request is off by more than 15 minutes (`RequestTimeTooSkewed`).",
      "The session was revoked (role session policy revocation) or is too short and expired in flight.",
    ],
    handlingProcedure: [
      "Check the clock: `timedatectl status` and `chronyc tracking`; fix NTP if it is off.",
      "Check the target's endpoints: its S3 and STS endpoints must belong to the same store.",
      "Assume the role by hand (`aws sts assume-role --role-arn ROLE_ARN --role-session-name manual`) in a subshell.",
      "Export the keys there, then try `aws s3api head-bucket --bucket BUCKET --region REGION`. Never paste the keys.",
      "Revoked sessions? Look for `AWSRevokeOlderSessions`: `aws iam list-role-policies --role-name ROLE_NAME`.",
      ...CONFIRM_CREDENTIALS,
    ],
  },
  "storage-access-denied": {
    title: "Object storage denies access",
    description:
      "The temporary credentials authenticate, but a policy denies the request (role policy, bucket policy, SCP or a KMS key policy).",
    impact:
      "Reads or writes to the bucket fail with `AccessDenied`; depending on which call is denied, backups, data loads or the certificate store itself are affected.",
    possibleCauses: [
      "The role's permissions policy was changed and no longer allows `s3:ListBucket` / `s3:GetObject` on the bucket or prefix.",
      "The bucket policy denies the role (explicit deny, `aws:SourceVpce` or `aws:PrincipalOrgID` conditions).",
      "Objects are encrypted with a KMS key whose policy does not allow the role.",
    ],
    handlingProcedure: [
      "See the role's policies: `aws iam list-attached-role-policies --role-name ROLE_NAME` (and `list-role-policies`).",
      "See the bucket policy: `aws s3api get-bucket-policy --bucket BUCKET --query Policy --output text`.",
      "Simulate: `aws iam simulate-principal-policy --policy-source-arn ROLE_ARN --action-names s3:ListBucket`",
      "  … with `--resource-arns arn:aws:s3:::BUCKET`; repeat with s3:GetObject on `arn:aws:s3:::BUCKET/*`.",
      "KMS-encrypted? Get the key with `aws s3api head-object --bucket BUCKET --key OBJECT --query SSEKMSKeyId`.",
      "Then read its policy: `aws kms get-key-policy --key-id KEY_ID --policy-name default`.",
      ...CONFIRM_CREDENTIALS,
    ],
  },
  "storage-unreachable": {
    title: "Object storage unreachable",
    description:
      "The request to object storage failed at the network level or timed out: no answer from the endpoint within the check's timeout.",
    impact:
      "Object storage cannot be reached from where watchpost runs; services on the same network path are probably affected too.",
    possibleCauses: [
      "DNS, routing, security group, NACL or VPC endpoint problems between the checker and the store.",
      "A custom S3 endpoint (S3-compatible store) is down or its address changed.",
      "A proxy or firewall in the path drops or delays the traffic.",
    ],
    handlingProcedure: [
      "Resolve and connect: `dig +short S3_HOST` and `curl -sv --max-time 10 https://S3_HOST/ -o /dev/null`.",
      "Does the bucket answer? `aws s3api head-bucket --bucket BUCKET --region REGION` (custom store: `--endpoint-url`).",
      "Check VPC endpoints: `aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws.REGION.s3`.",
      ...CONFIRM_CREDENTIALS,
    ],
  },
  "bucket-missing": {
    title: "Bucket missing",
    description:
      "Object storage answers, but the configured bucket does not exist (`NoSuchBucket`, 404) or lives in another region than configured (redirect).",
    impact: "Everything configured to use this bucket fails; data written there has nowhere to go.",
    possibleCauses: [
      "The bucket was deleted or renamed.",
      "The target configuration names the wrong bucket or region.",
    ],
    handlingProcedure: [
      "Check the bucket: `aws s3api head-bucket --bucket BUCKET`; its region: `aws s3api get-bucket-location --bucket BUCKET`.",
      "Wrong region or name? Fix the target in the configuration and deploy again.",
      "Deleted? Re-create it: `aws s3api create-bucket --bucket BUCKET --create-bucket-configuration LocationConstraint=REGION`.",
      "Then restore its protections (public access block, encryption, bucket policy) before use.",
      ...CONFIRM_CREDENTIALS,
    ],
  },
};

const CERTIFICATE_CHECK_SET: ReadonlySet<CheckName> = new Set(CERTIFICATE_CHECKS);

export function isCredentialCheck(check: CheckName): boolean {
  return (CREDENTIAL_CHECKS as readonly CheckName[]).includes(check);
}

export const ALARM_CATALOG: readonly AlarmDefinition[] = Object.freeze(
  (Object.keys(ALARM_IDS) as CheckName[]).map((check): AlarmDefinition => {
    const entry = ENTRIES[check];
    const isCertificate = CERTIFICATE_CHECK_SET.has(check);
    return Object.freeze({
      id: ALARM_IDS[check],
      check,
      title: entry.title,
      severity: DEFAULT_SEVERITY[check],
      autoClear: true,
      description: entry.description,
      parameters: entry.parameters ?? (isCertificate ? CERTIFICATE_PARAMETERS : CREDENTIAL_PARAMETERS),
      impact: entry.impact,
      possibleCauses: entry.possibleCauses,
      handlingProcedure: entry.handlingProcedure,
      clearance: entry.clearance ?? (isCertificate ? CERTIFICATE_CLEARANCE : CREDENTIAL_CLEARANCE),
      doc: `docs/alarms/${ALARM_IDS[check]}.md`,
      ...(SEEDS[check] ? { seed: SEEDS[check] } : {}),
    });
  }),
);

const BY_CHECK = new Map(ALARM_CATALOG.map((definition) => [definition.check, definition]));

export function alarmDefinition(check: CheckName): AlarmDefinition {
  const definition = BY_CHECK.get(check);
  // Unreachable while ALARM_IDS satisfies Record<CheckName, string>; kept for callers passing unchecked input.
  if (!definition) throw new Error(`no alarm is defined for check '${check}'`);
  return definition;
}

export function alarmDefinitionById(id: string): AlarmDefinition | undefined {
  return ALARM_CATALOG.find((definition) => definition.id === id);
}
