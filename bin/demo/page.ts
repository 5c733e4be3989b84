/**
 * The certificate page of the local run: the widget function's own code (handlers/certificate-page.ts)
 * reads the local tables exactly as it reads DynamoDB in AWS — the inventory's page index and the
 * active alarms — and the page is written to a file whose path is printed, as a standalone HTML
 * document (no script, nothing fetched).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificatePageSource } from "../../functions/adapters/certificate-page-source";
import type { WatchpostConfig } from "../../functions/core/config";
import { htmlDocument } from "../../functions/core/report/certificate-page";
import { certificatePage, forgetCachedPage } from "../../functions/handlers/certificate-page";
import type { LocalAws } from "./local-aws";
import { heading, type Output, wrap } from "./output";

export const PAGE_TITLE = "watchpost certificates (local run)";

/** Writes the page into a new temporary directory (or `file`) and says where. */
export async function writeLocalPage(
  aws: LocalAws,
  config: WatchpostConfig,
  out: Output,
  file = join(mkdtempSync(join(tmpdir(), "watchpost-page-")), "certificates.html"),
): Promise<string> {
  heading(out, "The certificate page");
  const source = createCertificatePageSource({
    scanStateTable: aws.scanStateTable,
    alarmTable: aws.alarmTable,
    client: aws.dynamo.client,
  });
  forgetCachedPage();
  const fragment = await certificatePage({ title: PAGE_TITLE, pageSize: 200 }, { config, source }, undefined);
  writeFileSync(file, htmlDocument(fragment, PAGE_TITLE));
  for (const line of wrap(
    "What the CloudWatch dashboard's custom widget shows after deployment — certificates by days left, the expiry timeline of the next 90 days, the active alarms with their runbook's first step — rendered by the widget's own code from the local tables. Open it in a browser:",
  )) {
    out.line(line);
  }
  out.line(`  ${file}`);
  return file;
}
