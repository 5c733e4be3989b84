/**
 * `watchpost scan PATH...`: judge certificate files and directories, print the report, and exit
 * with the status the design brief defines (0 clean, 1 minor/warning only, 2 major/critical, 3 usage).
 */
import * as z from "zod";
import { listFiles, loadFile } from "../../functions/adapters/local-files";
import {
  type DependentTally,
  judgeTrustBundle,
  oneFindingPerSourceAndCheck,
  tallyDependents,
} from "../../functions/core/certificates/ca-lifecycle";
import { unreadableFinding } from "../../functions/core/certificates/evaluate";
import { factsOf } from "../../functions/core/certificates/facts";
import { DEFAULT_MAX_BYTES } from "../../functions/core/certificates/reader";
import { EXIT, exitCodeFor, type Finding } from "../../functions/core/contracts";
import { type FilePassword, type ScanInput, scanFiles } from "../../functions/core/scan/read-files";
import { startDatesOf, wholeScanFindings } from "../../functions/core/scan/run-findings";
import { terminalSafeJson, visibleText } from "../../functions/core/visible-text";
import type { Command } from "./io";
import { UsageError } from "./io";
import { certificateFamilies, renderOpenMetrics } from "./openmetrics";
import {
  JUDGING_FLAGS,
  JudgingOptions,
  keystorePasswordForCli,
  parseCommandLine,
  validateOptions,
} from "./options";
import { loadPasswordMap } from "./password-map";
import { hasPeerGroup, PEER_GROUP_FLAGS, PEER_GROUP_USAGE, scanPeerGroup } from "./peer-group";
import { buildScanReport, renderTable, type SkipReason } from "./report";
import { loadTrustAnchors } from "./trust";

export const SCAN_USAGE = `usage: watchpost scan PATH... [options]
       watchpost scan --peer FQDN=FILE... [--truststore FQDN=FILE]... [PATH...] [options]

Reads every certificate in the named files and directories (recursively): PEM (with or without
surrounding text), DER, PKCS#7 (.p7b/.p7c), PKCS#12 (.p12/.pfx, legacy RC2/3DES too) and Java
keystores and truststores (JKS, JCEKS); the format is decided from the content. Directories are
walked for files that look like certificate material or carry a certificate file extension.

options:
  --ca FILE             trusted CA bundle; enables the untrusted-chain check (repeatable)
  --expect-host NAME    host name or IP the end-entity certificates must cover (repeatable)
  --purpose P           what end-entity certificates are for: server, client or any (default:
                        server with --expect-host, any without); the chain check holds them to it
  --warn-days N         expiring within N days is minor (default 30)
  --major-days N        expiring within N days is major (default 7)
  --skew SECONDS        tolerated clock skew for not-yet-valid (default 300)
  --now ISO             evaluate at another instant, e.g. 2027-01-01T00:00:00Z
  --max-bytes N         files larger than this are not loaded (default 1048576)
  --password-map FILE   which password opens which PKCS#12 file or keystore: lines of
                        'PATTERN file:PATH' or 'PATTERN env:NAME' (first match wins)
  --format table|json|openmetrics
                        output format (default table); openmetrics: gauges per certificate
                        (x509_cert_not_after, ...) and findings per file and check, for
                        Prometheus and node_exporter's textfile collector

peer groups (a cluster's peers as they see each other):
${PEER_GROUP_USAGE}
PKCS#12 and keystore password: environment variable WATCHPOST_KEYSTORE_PASSWORD, or a file named
by WATCHPOST_KEYSTORE_PASSWORD_FILE (WATCHPOST_PKCS12_PASSWORD[_FILE] are accepted too); never on
the command line, where ps would show it. A keystore is read without its password too: the
password only verifies its integrity, which findings report (details.integrity).

exit status: 0 no finding, 1 only minor/warning findings, 2 any major/critical, 3 usage error
`;

const CERTIFICATE_EXTENSIONS = /\.(pem|crt|cer|cert|der|p7b|p7c|p12|pfx|jks|jceks|ca-bundle|chain)$/i;

const ScanFormat = z.enum(["table", "json", "openmetrics"], {
  error: (issue) => `--format takes 'table', 'json' or 'openmetrics', not '${String(issue.input)}'`,
});

const ScanOnlyOptions = z.object({
  "max-bytes": z
    .string()
    .regex(/^\d+$/, "--max-bytes takes a whole number of bytes")
    .transform(Number)
    .default(DEFAULT_MAX_BYTES),
  format: ScanFormat.default("table"),
});

const withPassword = (password: FilePassword | undefined) => (password ? { password } : {});

export const scanCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandLine(argv, {
    ...JUDGING_FLAGS,
    "max-bytes": { type: "string" },
    "password-map": { type: "string" },
    ...PEER_GROUP_FLAGS,
  });
  if (values.help) {
    io.stdout(SCAN_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0 && !hasPeerGroup(values))
    throw new UsageError("name at least one file or directory to scan, or the peers of a group with --peer");
  const options = validateOptions(JudgingOptions, { ...values, format: undefined });
  const { "max-bytes": maxBytes, format } = validateOptions(ScanOnlyOptions, values);
  const now = options.now ? new Date(options.now) : new Date();

  const passwordMap = values["password-map"]
    ? await loadPasswordMap(values["password-map"], io.env, io.cwd)
    : undefined;
  const trustAnchors = options.ca.length > 0 ? await loadTrustAnchors(options.ca, io.env) : undefined;
  const explicit = new Set(positionals);
  const listed = await listFiles(positionals);
  const walkFindings: Finding[] = listed.errors.map((e) => unreadableFinding(e.path, "io-error", e.detail));

  const inputs: ScanInput[] = listed.files.map((file) => ({
    file,
    explicit: explicit.has(file),
    ...withPassword(passwordMap?.forFile(file)),
    // A directory walk meets READMEs and scripts beside the certificates: a walked file without a
    // certificate extension is judged only when its first bytes look like PEM or DER.
    onlyIfCertificateLike: !explicit.has(file) && !CERTIFICATE_EXTENSIONS.test(file),
    load: () => loadFile(file, maxBytes),
  }));
  const result = await scanFiles(inputs, {
    policy: {
      now,
      warnDays: options["warn-days"],
      majorDays: options["major-days"],
      skewSeconds: options.skew,
      expectedHosts: options["expect-host"].length > 0 ? options["expect-host"] : undefined,
      trustAnchors,
      ...(options.purpose ? { purpose: options.purpose } : {}),
    },
    pkcs12Password: await keystorePasswordForCli(io.env),
  });

  // The --ca bundle's own certificates are judged for expiry too, counting what chains to them.
  const dependents: DependentTally = new Map();
  for (const file of result.files) tallyDependents(dependents, file.facts ?? []);
  const bundleFindings = trustAnchors
    ? judgeTrustBundle(trustAnchors.map(factsOf), dependents, {
        now,
        warnDays: options["warn-days"],
        majorDays: options["major-days"],
        skewSeconds: options.skew,
      })
    : [];
  const defaultPassword = await keystorePasswordForCli(io.env);
  const group = hasPeerGroup(values)
    ? await scanPeerGroup(values, {
        policy: {
          now,
          warnDays: options["warn-days"],
          majorDays: options["major-days"],
          skewSeconds: options.skew,
        },
        ...(trustAnchors ? { ca: { files: options.ca, anchors: trustAnchors } } : {}),
        passwordFor: (file) => passwordMap?.forFile(file) ?? { value: defaultPassword },
        maxBytes,
      })
    : undefined;
  const certificates = [...result.certificates, ...(group?.certificates ?? [])];
  // The same certificate in several files is one finding; a scan where every certificate starts in
  // the future blames this machine's clock (run-findings.ts).
  const findings = wholeScanFindings(
    oneFindingPerSourceAndCheck([
      ...bundleFindings,
      ...walkFindings,
      ...result.findings,
      ...(group?.findings ?? []),
    ]),
    startDatesOf([...(trustAnchors ?? []), ...certificates]),
    now,
    options.skew,
  );
  const report = buildScanReport(now, certificates, findings, group ? [group.report] : undefined);
  const judged = result.files.filter((f) => !f.skipped);
  const skipped: Partial<Record<SkipReason, number>> = {
    "not-certificate": result.files.length - judged.length,
  };
  for (const { reason } of listed.skipped) skipped[reason] = (skipped[reason] ?? 0) + 1;
  const scope = {
    files: judged.length + listed.errors.length + (group?.files ?? 0),
    unreadable:
      listed.errors.length +
      (group?.unreadable ?? 0) +
      judged.filter((f) => f.certificates.length === 0 && f.findings.some((x) => x.check === "unreadable"))
        .length,
    skipped,
  };
  io.stdout(
    format === "json"
      ? `${terminalSafeJson(report)}\n`
      : format === "openmetrics"
        ? renderOpenMetrics(certificateFamilies(report))
        : renderTable(report, { color: io.isTTY, scope }),
  );
  // Work stopped on a file is no finding about it, but the operator is told the file was not judged.
  for (const file of result.files.filter((f) => f.notExamined)) {
    io.stderr(
      `watchpost: ${visibleText(file.file)} was not examined: ${visibleText(file.notExamined ?? "")}\n`,
    );
  }
  return exitCodeFor(findings);
};
