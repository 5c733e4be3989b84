/**
 * `watchpost report --html FILE [SCAN.json]`: the certificate page the CloudWatch widget shows,
 * rendered from a scan's JSON results (`watchpost scan --format json`) into one self-contained HTML
 * file: no script, nothing fetched, styles and chart inline. Same renderer as the widget
 * (functions/core/report/), so both show the same thing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as z from "zod";
import { EXIT, ScanReport, Severity } from "../../functions/core/contracts";
import { htmlDocument, renderCertificatePage } from "../../functions/core/report/certificate-page";
import { modelOfScanReport, PAGE_SIZES, parsePageQuery } from "../../functions/core/report/page-model";
import { visibleText } from "../../functions/core/visible-text";
import { type Command, UsageError } from "./io";
import { parseCommandLine, validateOptions } from "./options";

export const REPORT_USAGE = `usage: watchpost report --html FILE [SCAN.json]

Writes the certificate page — certificates by days left, the expiry timeline of the next 90 days,
and the findings as the alarms they raise, with each runbook's first step — as one HTML file that
runs no script and fetches nothing. Reads the JSON a scan printed (watchpost scan --format json)
from SCAN.json, or from standard input when it is '-' or absent:

  watchpost scan certs/ --format json > scan.json; watchpost report --html page.html scan.json
  watchpost scan certs/ --format json | watchpost report --html page.html

options:
  --html FILE           where to write the page (required)
  --title TEXT          the page's heading (default "Certificates")
  --warn-days N         days before expiry a certificate counts as expiring (default 30)
  --source DIR          only certificates of files in this directory (as the page groups them)
  --severity S          only certificates and findings of this severity
  --page N              which page of rows (default 1)
  --page-size N         rows per page: ${PAGE_SIZES.join(", ")} (default ${PAGE_SIZES.at(-1)})

exit status: 0 written, 3 usage error (unreadable or invalid input, missing --html)
`;

const Options = z.object({
  html: z.string({ error: "required: the file to write the page to" }).min(1, "--html takes a file name"),
  title: z.string().max(200).default("Certificates"),
  "warn-days": z
    .string()
    .regex(/^\d+$/, "--warn-days takes a whole number of days")
    .transform(Number)
    .default(30),
  severity: Severity.optional(),
});

export const reportCommand: Command = async (argv, io) => {
  const { values, positionals } = parseCommandLine(argv, {
    html: { type: "string" },
    title: { type: "string" },
    "warn-days": { type: "string" },
    source: { type: "string" },
    severity: { type: "string" },
    page: { type: "string" },
    "page-size": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(REPORT_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const options = validateOptions(Options, values);
  const input = positionals[0] ?? "-";
  const report = readScanReport(input, io.cwd);
  const model = modelOfScanReport(report, { warnDays: options["warn-days"] });
  const query = parsePageQuery({
    source: values.source,
    severity: options.severity,
    page: values.page,
    pageSize: values["page-size"] ?? PAGE_SIZES.at(-1),
  });
  const html = htmlDocument(renderCertificatePage(model, { title: options.title, query }), options.title);
  const target = resolve(io.cwd, options.html);
  try {
    writeFileSync(target, html);
  } catch (error) {
    throw new UsageError(
      `cannot write ${visibleText(target)}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  io.stdout(
    `wrote ${visibleText(target)} (${report.certificates.length} certificates, ${report.findings.length} findings)\n`,
  );
  return EXIT.ok;
};

function readScanReport(input: string, cwd: string): ScanReport {
  const name = input === "-" ? "standard input" : input;
  let text: string;
  try {
    text = readFileSync(input === "-" ? 0 : resolve(cwd, input), "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read ${visibleText(name)}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(
      `${visibleText(name)} is not JSON: expected the output of 'watchpost scan --format json'`,
    );
  }
  const parsed = ScanReport.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `${visibleText(name)} is not a scan's JSON results (at ${issue.path.join(".") || "the top"}: ${issue.message})`,
    );
  }
  return parsed.data;
}
