/**
 * Certificates and findings as OpenMetrics text (https://github.com/prometheus/OpenMetrics,
 * `application/openmetrics-text; version=1.0.0`): what `scan --format openmetrics` prints and
 * `push --metrics-file` writes for node_exporter's textfile collector. Only gauges, so the text is
 * also valid in the Prometheus text format the textfile collector parses (`# EOF` reads there as a
 * comment); `promtool check metrics` accepts it (test/integration/cli/openmetrics.test.ts).
 *
 * Names follow enix's x509-certificate-exporter where one fits (x509_cert_not_before,
 * x509_cert_not_after, x509_cert_expired, x509_read_errors), so its alert rules read the same;
 * the rest are watchpost_*. Label values (subjects, issuers, paths) are whatever a certificate or
 * a host says: escaped as the format requires, control characters written as `\xNN`.
 */
import { objectOfSource } from "../../functions/core/alarms/evidence";
import type { ScanReport } from "../../functions/core/contracts";
import { visibleText } from "../../functions/core/visible-text";

export interface MetricFamily {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** Per certificate: its validity as timestamps and whether it has expired; per file and check: findings. */
export function certificateFamilies(report: ScanReport, labels: Record<string, string> = {}): MetricFamily[] {
  const now = Date.parse(report.scannedAt);
  const certificateLabels = (source: string, c: ScanReport["certificates"][number]) => ({
    ...labels,
    path: objectOfSource(source),
    index: source.slice(objectOfSource(source).length + 1) || "0",
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serialNumber,
  });
  const perCertificate = (value: (c: ScanReport["certificates"][number]) => number) =>
    report.certificates.map((c) => ({ labels: certificateLabels(c.source, c), value: value(c) }));

  const findings = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const f of report.findings) {
    const sampleLabels = { ...labels, path: objectOfSource(f.source), check: f.check, severity: f.severity };
    const id = JSON.stringify(sampleLabels);
    const sample = findings.get(id) ?? { labels: sampleLabels, value: 0 };
    sample.value += 1;
    findings.set(id, sample);
  }
  const unreadable = new Set(report.findings.filter((f) => f.check === "unreadable").map((f) => f.source));
  return [
    {
      name: "x509_cert_not_before",
      help: "The certificate's notBefore, in seconds since the Unix epoch.",
      samples: perCertificate((c) => Date.parse(c.notBefore) / 1000),
    },
    {
      name: "x509_cert_not_after",
      help: "The certificate's notAfter, in seconds since the Unix epoch.",
      samples: perCertificate((c) => Date.parse(c.notAfter) / 1000),
    },
    {
      name: "x509_cert_expired",
      help: "1 when the certificate had expired when it was read, else 0.",
      samples: perCertificate((c) => (Date.parse(c.notAfter) < now ? 1 : 0)),
    },
    {
      name: "x509_cert_not_yet_valid",
      help: "1 when the certificate's notBefore was still ahead when it was read, else 0.",
      samples: perCertificate((c) => (Date.parse(c.notBefore) > now ? 1 : 0)),
    },
    {
      name: "x509_read_errors",
      help: "Files (or parts of files) that could not be read as certificates.",
      samples: [{ labels, value: unreadable.size }],
    },
    {
      name: "watchpost_findings",
      help: "Findings of the last check, by file, check name and severity (docs/alarms).",
      samples: [...findings.values()],
    },
    {
      name: "watchpost_check_timestamp_seconds",
      help: "When the certificates were last read and judged, in seconds since the Unix epoch.",
      samples: [{ labels, value: now / 1000 }],
    },
  ];
}

/** The exposition: each family's HELP and TYPE, then its samples, and `# EOF`. */
export function renderOpenMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} gauge`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
        .join(",");
      lines.push(`${family.name}${labels ? `{${labels}}` : ""} ${formatValue(sample.value)}`);
    }
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** OpenMetrics ABNF: `\`, `"` and line feed are escaped in label values; nothing else may break a line. */
function escapeLabel(value: string): string {
  return visibleText(value.replace(LONE_SURROGATE, "\ufffd")).replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return visibleText(text).replace(/\\/g, "\\\\");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}
