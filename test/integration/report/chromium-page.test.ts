/**
 * The certificate page in a real browser: a generated inventory (hundreds of certificates in three
 * sources, some expired, alarms on the expired and soon-expiring ones, one subject carrying HTML
 * and script) written to dynalite by the real adapters, rendered by the widget function, and loaded
 * in headless Chromium — the widget's fragment as CloudWatch receives it, and the standalone page
 * `watchpost report --html` and `npm start` write.
 *
 * The answer must fit what a custom widget may return: it is the function's synchronous response,
 * and Lambda caps that at 6 MB (Lambda API Reference, Invoke: "the maximum payload size is 6 MB"
 * for synchronous invocations; CloudWatch User Guide, "Details about custom widgets in CloudWatch":
 * the dashboard shows the string the function returns). The page holds itself to a fifth of that.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificatePageSource } from "../../../functions/adapters/certificate-page-source";
import { parseConfig } from "../../../functions/core/config";
import { htmlDocument, MAX_PAGE_BYTES } from "../../../functions/core/report/certificate-page";
import { TIMELINE_WEEKS } from "../../../functions/core/report/expiry-timeline";
import { certificatePage, forgetCachedPage } from "../../../functions/handlers/certificate-page";
import {
  type GeneratedInventory,
  generateInventory,
  HOSTILE_SUBJECT,
  storeInventory,
} from "../../support/certificate-inventory";
import { CHROMIUM, CHROMIUM_ABSENT_REASON, launchChromium } from "../../support/chromium";
import { type LocalDynamo, startDynalite } from "../../support/emulators";

/** Lambda API Reference, Invoke: synchronous response payload limit. */
const LAMBDA_SYNC_RESPONSE_LIMIT = 6 * 1024 * 1024;
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:watchpost-CertificatePage";

if (!CHROMIUM) console.log(`skipped: ${CHROMIUM_ABSENT_REASON}`);

describe.skipIf(!CHROMIUM)("the certificate page in headless Chromium", () => {
  const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  let dynamo: LocalDynamo;
  let browser: Browser;
  let generated: GeneratedInventory;
  let fragment: string;
  let largest: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
    generated = generateInventory(now, 400);
    const tables = await storeInventory(dynamo, generated);
    const deps = {
      config: parseConfig({ certificates: { sources: [{ prefix: "clusters/" }] } }),
      source: createCertificatePageSource({ ...tables, client: dynamo.client }),
      now: () => now,
    };
    forgetCachedPage();
    const widgetContext = { dashboardName: "Watchpost", forms: { all: {} }, width: 1200, height: 800 };
    fragment = await certificatePage({ title: "Certificates", widgetContext }, deps, FUNCTION_ARN);
    largest = await certificatePage(
      { title: "Certificates", widgetContext: { ...widgetContext, forms: { all: { pageSize: "200" } } } },
      deps,
      FUNCTION_ARN,
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dynamo?.stop();
  });

  /** Loads HTML with scripts allowed (so one that slipped through would run), collecting errors. */
  async function load(html: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ javaScriptEnabled: true });
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.setContent(html, { waitUntil: "load" });
    return { page, errors };
  }

  it.each([
    ["the widget's answer", () => fragment, 50],
    ["the widget's answer at 200 rows", () => largest, 200],
    ["the standalone page", () => htmlDocument(fragment, "watchpost certificates"), 50],
  ])(
    "%s: table, chart and alarms drawn, no console error, the hostile subject shown as text",
    async (_name, html, rows) => {
      // Act
      const { page, errors } = await load(html());

      // Assess
      expect(errors).toEqual([]);
      expect(await page.locator("table.certificates tbody tr").count()).toBe(rows);
      expect(await page.locator("table.alarms tbody tr").count()).toBe(generated.alarms.length);
      const bars = page.locator("svg.timeline g.week rect");
      expect(await bars.count()).toBe(1 + TIMELINE_WEEKS);
      const box = await page.locator("svg.timeline").boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(await page.locator("svg.timeline g.week").first().locator("title").textContent()).toBe(
        `already expired: ${generated.expired}`,
      );
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator("script").count()).toBe(0);
      expect(await page.locator("td.subject img").count()).toBe(0);
      const hostile = page.locator("table.certificates td.subject", { hasText: "evil.example" });
      expect(await hostile.textContent()).toBe(HOSTILE_SUBJECT);
      await page.close();
    },
  );

  it("answers within the response size a custom widget may return", () => {
    // Assess
    for (const html of [fragment, largest]) {
      expect(Buffer.byteLength(html)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      expect(Buffer.byteLength(html)).toBeLessThan(LAMBDA_SYNC_RESPONSE_LIMIT);
    }
  });
});
