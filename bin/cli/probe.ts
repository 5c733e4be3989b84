/**
 * `watchpost probe HOST:PORT...`: connect (after a STARTTLS exchange when asked), take the chain
 * each endpoint presents and judge it with the same engine as `scan`. Expired, untrusted and
 * misnamed certificates are told apart and their dates are still reported; a silent endpoint is a
 * finding after the timeout, not a hang; a port that answers but not with TLS says so.
 */

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import * as z from "zod";
import { fetchPresentedChain, publicRootCertificates } from "../../functions/adapters/tls-endpoint";
import type { ParsedCertificate } from "../../functions/core/certificates/certificate";
import { unreadableFinding } from "../../functions/core/certificates/evaluate";
import { mapBounded } from "../../functions/core/concurrency";
import { STARTTLS_PROTOCOLS, StarttlsProtocol } from "../../functions/core/config/endpoints";
import { EXIT, exitCodeFor, type Finding } from "../../functions/core/contracts";
import {
  ADDRESS_HELP,
  type EndpointAddress,
  formatEndpointAddress,
  parseEndpointAddress,
} from "../../functions/core/endpoints/address";
import { judgeEndpoint } from "../../functions/core/endpoints/judge";
import type { TlsDetails } from "../../functions/core/endpoints/probe";
import type { OcspReport } from "../../functions/core/endpoints/stapled-ocsp";
import { blameScanningClock, startDatesOf } from "../../functions/core/scan/run-findings";
import { terminalSafeJson, visibleText } from "../../functions/core/visible-text";
import { type CliIo, type Command, UsageError } from "./io";
import { JUDGING_FLAGS, JudgingOptions, parseCommandLine, validateOptions } from "./options";
import { buildScanReport, renderTable } from "./report";
import { loadTrustAnchors } from "./trust";

export const PROBE_USAGE = `usage: watchpost probe HOST:PORT... [options]
       watchpost probe --targets FILE [options]

Connects with TLS (after a STARTTLS exchange with --starttls), reads the certificate chain each
endpoint presents (even when it would fail verification) and judges it: expiry, not-yet-valid,
host name, chain of trust, weak crypto. IPv6 endpoints are written [ADDR]:PORT.

options:
  --servername NAME     SNI name and the name the certificate must cover (default: HOST; one endpoint only)
  --starttls P          upgrade first: ${STARTTLS_PROTOCOLS.join(", ")}
  --targets FILE        endpoints, one a line: HOST:PORT [servername=NAME] [starttls=P] [expect-host=NAME]...
                        (# starts a comment)
  --ca FILE             trusted CA bundle (default: Node's built-in public roots) (repeatable)
  --expect-host NAME    further names the certificate must cover (repeatable)
  --purpose P           server (default), client or any: what the presented certificate is for
  --timeout-ms N        give up on a silent endpoint after N ms (default 10000)
  --warn-days N, --major-days N, --skew SECONDS, --now ISO, --format table|json  as for scan

exit status: 0 no finding, 1 only minor/warning findings, 2 any major/critical, 3 usage error
`;

/** Endpoints probed at once with --targets. */
const PROBE_CONCURRENCY = 8;
const MAX_TARGETS = 1000;

interface Target extends EndpointAddress {
  servername?: string;
  starttls?: StarttlsProtocol;
  expectHosts: string[];
}

const ProbeOnlyOptions = z.object({
  servername: z.string().min(1).optional(),
  starttls: z
    .enum(STARTTLS_PROTOCOLS, { error: `--starttls takes one of ${STARTTLS_PROTOCOLS.join(", ")}` })
    .optional(),
  targets: z.string().min(1).optional(),
  "timeout-ms": z
    .string()
    .regex(/^\d+$/, "--timeout-ms takes a whole number of milliseconds")
    .transform(Number)
    .refine((ms) => ms >= 1 && ms <= 600_000, "--timeout-ms takes 1 to 600000 milliseconds")
    .default(10_000),
});

interface Probed {
  target: Target;
  name: string;
  certificates: ParsedCertificate[];
  findings: Finding[];
  tls: (TlsDetails & { ocsp: OcspReport }) | null;
}

export const probeCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandLine(argv, {
    ...JUDGING_FLAGS,
    servername: { type: "string" },
    starttls: { type: "string" },
    targets: { type: "string" },
    "timeout-ms": { type: "string" },
  });
  if (values.help) {
    io.stdout(PROBE_USAGE);
    return EXIT.ok;
  }
  const options = validateOptions(JudgingOptions, values);
  const probeOptions = validateOptions(ProbeOnlyOptions, values);
  const targets = await targetsOf(positionals, probeOptions, io);
  const now = options.now ? new Date(options.now) : new Date();
  const trustAnchors =
    options.ca.length > 0 ? await loadTrustAnchors(options.ca, io.env) : await publicRootCertificates();

  const probed = await mapBounded(targets, PROBE_CONCURRENCY, async (target): Promise<Probed> => {
    const name = formatEndpointAddress(target);
    const presented = await fetchPresentedChain({
      ...target,
      timeoutMs: probeOptions["timeout-ms"],
    });
    if (!presented.ok) {
      const finding = unreadableFinding(name, presented.reason, presented.detail);
      return { target, name, certificates: [], findings: [finding], tls: null };
    }
    const judged = judgeEndpoint(name, presented, {
      now,
      warnDays: options["warn-days"],
      majorDays: options["major-days"],
      skewSeconds: options.skew,
      expectedHosts: [target.servername ?? target.host, ...options["expect-host"], ...target.expectHosts],
      trustAnchors,
      ...(options.purpose ? { purpose: options.purpose } : {}),
    });
    return {
      target,
      name,
      certificates: judged.certificates,
      findings: judged.findings,
      tls: { ...presented.tls, ocsp: judged.ocsp },
    };
  });

  const presentedCertificates = probed.flatMap((p) => p.certificates);
  // Every presented certificate starting in the future points at this machine's clock (run-findings.ts).
  const report = buildScanReport(
    now,
    presentedCertificates,
    blameScanningClock(
      probed.flatMap((p) => p.findings),
      startDatesOf(presentedCertificates),
      now,
      options.skew,
    ),
  );
  const endpointOf = (p: Probed) => ({
    endpoint: p.name,
    servername: p.target.servername ?? p.target.host,
    ...(p.target.starttls ? { starttls: p.target.starttls } : {}),
    tls: p.tls,
  });
  if (options.format === "json") {
    // One endpoint: the shape `probe HOST:PORT` always printed; several: each endpoint's handshake in `endpoints`.
    const head =
      probed.length === 1 && positionals.length === 1
        ? endpointOf(probed[0]!)
        : { endpoints: probed.map(endpointOf) };
    io.stdout(`${terminalSafeJson({ ...head, ...report })}\n`);
  } else {
    const reached = probed.filter((p) => p.tls !== null).length;
    const title =
      probed.length === 1 ? `Endpoint ${probed[0]!.name}` : `Endpoints ${probed.length} (${reached} reached)`;
    const handshakes = probed.map((p) => `  ${p.name}: ${describeTls(p)}`);
    io.stdout(
      renderTable(report, {
        color: io.isTTY,
        title: [title, ...handshakes],
        scope:
          probed.length === 1
            ? { endpoint: probed[0]!.name, reached: probed[0]!.tls !== null }
            : { endpoint: `${probed.length} endpoints`, reached: reached === probed.length },
      }),
    );
  }
  return exitCodeFor(report.findings);
};

function describeTls(p: Probed): string {
  if (!p.tls) return "not reached";
  const tls = p.tls;
  const upgrade = tls.starttls ? `STARTTLS ${tls.starttls}, ` : "";
  const legacy = tls.legacyOnly ? " (only when TLS 1.0/1.1 were allowed)" : "";
  const clientCertificate =
    tls.clientCertificate === "required"
      ? `, client certificate required (the server ended the handshake with ${tls.handshakeEndedWith ?? "an alert"})`
      : tls.clientCertificate === "requested"
        ? ", client certificate requested (optional)"
        : "";
  return (
    `${upgrade}${tls.protocol ?? "unknown protocol"}${legacy}, ${tls.cipher ?? "unknown cipher"}, ` +
    `${describeOcsp(tls.ocsp)}, ${tls.chainLength} certificate(s) sent${clientCertificate}`
  );
}

function describeOcsp(ocsp: OcspReport): string {
  const must = ocsp.mustStaple ? " (must-staple)" : "";
  if (!ocsp.stapled) return `OCSP not stapled${must}`;
  if (!ocsp.status) return `OCSP stapled${must}, unusable`;
  const until = ocsp.nextUpdate ? ` until ${ocsp.nextUpdate}` : "";
  const signature = ocsp.signature === "valid" ? "" : `, signature ${ocsp.signature}`;
  return `OCSP stapled${must}: ${ocsp.status}${until}${signature}`;
}

async function targetsOf(
  positionals: string[],
  options: z.infer<typeof ProbeOnlyOptions>,
  io: CliIo,
): Promise<Target[]> {
  const fromFile = options.targets ? await readTargetsFile(resolve(io.cwd, options.targets)) : [];
  if (positionals.length === 0 && fromFile.length === 0)
    throw new UsageError("name at least one endpoint as HOST:PORT, or give --targets FILE");
  if (options.servername && positionals.length + fromFile.length > 1)
    throw new UsageError(
      "--servername names one endpoint's SNI; for several, write servername=NAME in --targets",
    );
  const targets = [
    ...positionals.map((text) => ({
      ...addressOf(text, text),
      ...(options.servername ? { servername: options.servername } : {}),
      ...(options.starttls ? { starttls: options.starttls } : {}),
      expectHosts: [],
    })),
    ...fromFile.map((t) => ({ ...(options.starttls ? { starttls: options.starttls } : {}), ...t })),
  ];
  if (targets.length > MAX_TARGETS) throw new UsageError(`name at most ${MAX_TARGETS} endpoints`);
  return targets;
}

function addressOf(text: string, where: string): EndpointAddress {
  const address = parseEndpointAddress(text);
  if (!address)
    throw new UsageError(`${where}: give the endpoint as HOST:PORT (IPv6 as [ADDR]:PORT); ${ADDRESS_HELP}`);
  return address;
}

async function readTargetsFile(path: string): Promise<Target[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`--targets ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const targets: Target[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const where = `--targets ${path} line ${index + 1}`;
    const [endpoint, ...settings] = line.split(/\s+/);
    const target: Target = { ...addressOf(endpoint!, where), expectHosts: [] };
    for (const setting of settings) {
      const [key, value] = [setting.slice(0, setting.indexOf("=")), setting.slice(setting.indexOf("=") + 1)];
      if (key === "servername" && value) target.servername = value;
      else if (key === "expect-host" && value) target.expectHosts.push(value);
      else if (key === "starttls" && StarttlsProtocol.safeParse(value).success)
        target.starttls = value as StarttlsProtocol;
      else
        throw new UsageError(
          `${where}: "${visibleText(setting)}" is not servername=NAME, expect-host=NAME or starttls=${STARTTLS_PROTOCOLS.join("|")}`,
        );
    }
    targets.push(target);
  }
  return targets;
}
