/**
 * `watchpost probe HOST:PORT`: connect with TLS, take the chain the endpoint presents and judge it
 * with the same engine as `scan`. Expired, untrusted and misnamed certificates are told apart and
 * their dates are still reported; a silent endpoint is a finding after the timeout, not a hang.
 */
import { rootCertificates } from "node:tls";
import * as z from "zod";
import { fetchPresentedChain } from "../../functions/adapters/tls-endpoint";
import { type ParsedCertificate, parseCertificate } from "../../functions/core/certificates/certificate";
import { evaluateCertificates, unreadableFinding } from "../../functions/core/certificates/evaluate";
import { readCertificates } from "../../functions/core/certificates/reader";
import { EXIT, exitCodeFor } from "../../functions/core/contracts";
import { terminalSafeJson } from "../../functions/core/visible-text";
import { type Command, UsageError } from "./io";
import { JUDGING_FLAGS, JudgingOptions, parseCommandLine, validateOptions } from "./options";
import { buildScanReport, renderTable } from "./report";
import { loadTrustAnchors } from "./trust";

export const PROBE_USAGE = `usage: watchpost probe HOST:PORT [options]

Connects with TLS, reads the certificate chain the endpoint presents (even when it would fail
verification) and judges it: expiry, not-yet-valid, host name, chain of trust, weak crypto.

options:
  --servername NAME     SNI name and the name the certificate must cover (default: HOST)
  --ca FILE             trusted CA bundle (default: Node's built-in public roots) (repeatable)
  --expect-host NAME    further names the certificate must cover (repeatable)
  --purpose P           server (default), client or any: what the presented certificate is for
  --timeout-ms N        give up on a silent endpoint after N ms (default 10000)
  --warn-days N, --major-days N, --skew SECONDS, --now ISO, --format table|json  as for scan

exit status: 0 no finding, 1 only minor/warning findings, 2 any major/critical, 3 usage error
`;

const Endpoint = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/,
    "give the endpoint as HOST:PORT (IPv6 as [ADDR]:PORT)",
  )
  .transform((value) => {
    const at = value.lastIndexOf(":");
    return { host: value.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(value.slice(at + 1)) };
  })
  .refine((e) => e.port > 0 && e.port < 65536, "the port must be between 1 and 65535");

const ProbeOnlyOptions = z.object({
  servername: z.string().min(1).optional(),
  "timeout-ms": z
    .string()
    .regex(/^\d+$/, "--timeout-ms takes a whole number of milliseconds")
    .transform(Number)
    .refine((ms) => ms >= 1 && ms <= 600_000, "--timeout-ms takes 1 to 600000 milliseconds")
    .default(10_000),
});

export const probeCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandLine(argv, {
    ...JUDGING_FLAGS,
    servername: { type: "string" },
    "timeout-ms": { type: "string" },
  });
  if (values.help) {
    io.stdout(PROBE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError("name exactly one endpoint as HOST:PORT");
  const endpoint = validateOptions(Endpoint, positionals[0]);
  const options = validateOptions(JudgingOptions, values);
  const { servername, "timeout-ms": timeoutMs } = validateOptions(ProbeOnlyOptions, values);
  const now = options.now ? new Date(options.now) : new Date();
  const name = `${endpoint.host}:${endpoint.port}`;

  const trustAnchors =
    options.ca.length > 0 ? await loadTrustAnchors(options.ca, io.env) : await systemTrustAnchors();
  const presented = await fetchPresentedChain({ ...endpoint, servername, timeoutMs });

  const certificates: ParsedCertificate[] = [];
  const findings = [];
  if (!presented.ok) {
    findings.push(unreadableFinding(name, presented.reason, presented.detail));
  } else {
    for (const [index, der] of presented.certificates.entries()) {
      try {
        certificates.push(parseCertificate(der, name, index));
      } catch (error) {
        findings.push(
          unreadableFinding(
            `${name}#${index}`,
            "bad-der",
            `presented certificate ${index}: ${String(error)}`,
          ),
        );
      }
    }
    findings.push(
      ...evaluateCertificates(certificates, {
        now,
        warnDays: options["warn-days"],
        majorDays: options["major-days"],
        skewSeconds: options.skew,
        expectedHosts: [servername ?? endpoint.host, ...options["expect-host"]],
        trustAnchors,
        // The endpoint's own certificate comes first (RFC 8446 §4.4.2), whatever its flags.
        presentedChain: true,
        ...(options.purpose ? { purpose: options.purpose } : {}),
      }),
    );
  }

  const report = buildScanReport(now, certificates, findings);
  if (options.format === "json") {
    const tls = presented.ok
      ? { protocol: presented.protocol, nodeVerification: presented.authorizationError ?? "ok" }
      : null;
    io.stdout(
      `${terminalSafeJson({ endpoint: name, servername: servername ?? endpoint.host, tls, ...report })}\n`,
    );
  } else {
    io.stdout(
      renderTable(report, {
        color: io.isTTY,
        title: `Endpoint ${name}`,
        scope: { endpoint: name, reached: presented.ok },
      }),
    );
  }
  return exitCodeFor(report.findings);
};

async function systemTrustAnchors(): Promise<ParsedCertificate[]> {
  const read = await readCertificates(Buffer.from(rootCertificates.join("\n")), "node:tls.rootCertificates");
  return read.status === "ok" ? read.certificates : [];
}
