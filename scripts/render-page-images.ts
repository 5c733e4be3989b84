/**
 * Draws the pictures in docs/page/ with the real renderer (functions/core/report/), screenshotted in
 * headless Chromium:
 * - widget.png: the custom widget's answer as the dashboard shows it (1,200 px wide), for a
 *   generated inventory of three sources at a fixed instant (test/support/certificate-inventory.ts,
 *   the inventory the Chromium test loads; one subject carries markup, shown as text);
 * - report.png: `watchpost report --html` for the shipped examples/, judged at 2036-05-20 as the
 *   README's what-if example does.
 * The page runs no script, so what Chromium draws is what CloudWatch draws, bar CloudWatch's own
 * frame and default styles.
 *
 * Needs Chromium (Debian: `apt-get install chromium`). Run: `npm run generate` (or
 * `npx tsx scripts/render-page-images.ts [path-to-chromium]`). CI does not compare them: a
 * screenshot's bytes depend on the Chromium build and the fonts.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { ScanReport } from "../functions/core/contracts";
import { htmlDocument, renderCertificatePage } from "../functions/core/report/certificate-page";
import { pageEntryOf } from "../functions/core/report/page-entry";
import {
  alarmsOfState,
  certificatesOfInventory,
  modelOfScanReport,
  type PageModel,
  parsePageQuery,
} from "../functions/core/report/page-model";
import { generateInventory } from "../test/support/certificate-inventory";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PAGE_IMAGES = [
  { file: "docs/page/widget.png", alt: "The certificate page as the CloudWatch custom widget shows it" },
  { file: "docs/page/report.png", alt: "watchpost report --html for the shipped examples" },
] as const;

const NOW = new Date("2027-01-15T09:00:00Z");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];

function widgetModel(): PageModel {
  const generated = generateInventory(NOW, 120);
  return {
    generatedAt: NOW,
    warnDays: 30,
    certificates: certificatesOfInventory(generated.records.map(pageEntryOf)),
    alarms: alarmsOfState(generated.alarms, "https://github.com/example/watchpost/blob/main"),
    notes: [],
  };
}

function examplesModel(): PageModel {
  const json = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "bin/watchpost.ts",
      "scan",
      "examples",
      "--ca",
      "examples/trust/cluster-root-ca.pem",
      "--expect-host",
      "node1.cluster.example",
      "--now",
      "2036-05-20T00:00:00Z",
      "--format",
      "json",
    ],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  ).trim();
  // Exit status 2 (major findings) is what the examples are for; execFileSync throws on it.
  return modelOfScanReport(ScanReport.parse(JSON.parse(json)), { warnDays: 30 });
}

function scanOutput(): PageModel {
  try {
    return examplesModel();
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (!stdout) throw error;
    return modelOfScanReport(ScanReport.parse(JSON.parse(stdout)), { warnDays: 30 });
  }
}

export async function renderPageImages(executablePath = "/usr/bin/chromium"): Promise<string[]> {
  const pages: [string, string, number, number][] = [
    [
      PAGE_IMAGES[0].file,
      renderCertificatePage(widgetModel(), {
        title: "Certificates",
        query: parsePageQuery({ pageSize: 25 }),
        actionEndpoint: "arn:aws:lambda:eu-west-1:123456789012:function:watchpost-CertificatePageWidget",
      }),
      1200,
      1300,
    ],
    [
      PAGE_IMAGES[1].file,
      htmlDocument(
        renderCertificatePage(scanOutput(), {
          title: "examples/ at 2036-05-20",
          query: parsePageQuery({ pageSize: 200 }),
        }),
        "watchpost report",
      ),
      1200,
      1150,
    ],
  ];
  const browser = await chromium.launch({ executablePath, args: FLAGS });
  const written: string[] = [];
  try {
    for (const [file, html, width, height] of pages) {
      const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
      await page.setContent(`<body style="margin:12px;background:#fff">${html}</body>`);
      const path = join(ROOT, file);
      mkdirSync(dirname(path), { recursive: true });
      // The top of the page, about what a dashboard row of 18 units shows without scrolling.
      await page.screenshot({ path });
      written.push(path);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of await renderPageImages(process.argv[2])) console.log(`wrote ${path}`);
}
