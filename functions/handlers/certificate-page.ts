/**
 * The certificate page as a CloudWatch custom widget: CloudWatch calls this function with the
 * widget's parameters and a `widgetContext`, and shows the HTML string it returns; a call with
 * `describe: true` asks for the widget's documentation in Markdown (CloudWatch User Guide, "Details
 * about custom widgets in CloudWatch"; the `describe` convention: aws-samples/cloudwatch-custom-
 * widgets-samples, README, "What is the 'Hello world' Custom Widget example?"). The buttons of the
 * page call it again with `{ "page": N }`; the filter form's values arrive in
 * `widgetContext.forms.all` ("Interactivity in the custom widget in CloudWatch").
 *
 * Thin: it reads (adapters/certificate-page-source.ts) and renders (core/report/); it writes
 * nothing. What it read is kept for a minute in the execution environment, so paging and filtering
 * right after a refresh cost no reads. What it reads: docs/architecture.md, "The certificate page:
 * what it reads".
 */
import type { Context } from "aws-lambda";
import * as z from "zod";
import { type CertificatePageSource, createCertificatePageSource } from "../adapters/certificate-page-source";
import type { WatchpostConfig } from "../core/config";
import { renderCertificatePage } from "../core/report/certificate-page";
import {
  alarmsOfState,
  certificatesOfInventory,
  type PageModel,
  parsePageQuery,
} from "../core/report/page-model";
import { deployedConfig } from "./shared/deployed-config";
import { ENV, requireEnv } from "./shared/environment";
import { instrumented, logger } from "./shared/powertools";

/** How long a read inventory serves paging and filtering before the next call reads again. */
export const MODEL_TTL_MS = 60_000;

export const WIDGET_DOCS = `## watchpost certificates

Every certificate watchpost's scans have judged (from the scan-state table's \`inventory-page\`
index), soonest expiry first, with the expiry timeline of the next 90 days and the active alarms
with their runbook's first step. Written by watchpost's own stack; it reads and changes nothing else.

### Widget parameters
Param | Description
---|---
**title** | Heading of the page (default "Certificates")
**pageSize** | Rows per page: 25, 50, 100 or 200 (default 50)
**source**, **host**, **service**, **severity** | Initial filters (the form on the page changes them)

### Example parameters
\`\`\` yaml
pageSize: 100
severity: major
\`\`\`
`;

/**
 * What CloudWatch sends (User Guide, "Details about custom widgets in CloudWatch": every call
 * carries `widgetContext`; the widget's parameters come as top-level fields). Loose on purpose:
 * unknown fields are ignored and bad values fall back in parsePageQuery.
 */
export const WidgetEvent = z.looseObject({
  describe: z.boolean().optional(),
  title: z.string().max(200).optional(),
  widgetContext: z
    .looseObject({
      dashboardName: z.string().optional(),
      forms: z.looseObject({ all: z.record(z.string(), z.unknown()).optional() }).optional(),
    })
    .optional(),
});
export type WidgetEvent = z.infer<typeof WidgetEvent>;

export interface CertificatePageDeps {
  config: Pick<WatchpostConfig, "certificates" | "notifications">;
  source: CertificatePageSource;
  now?: () => Date;
}

let productionDeps: CertificatePageDeps | undefined;
let cached: { model: PageModel; at: number } | undefined;

export const handler = instrumented((event, context?: Context) => {
  productionDeps ??= {
    config: deployedConfig(),
    source: createCertificatePageSource({
      scanStateTable: requireEnv(ENV.scanStateTable),
      alarmTable: requireEnv(ENV.alarmTable),
    }),
  };
  return certificatePage(event, productionDeps, context?.invokedFunctionArn);
});

/** The widget's answer: Markdown documentation for `describe`, else the page as HTML. */
export async function certificatePage(
  raw: unknown,
  deps: CertificatePageDeps,
  functionArn: string | undefined,
): Promise<string> {
  const parsed = WidgetEvent.safeParse(raw);
  const event: WidgetEvent = parsed.success ? parsed.data : {};
  if (event.describe) return WIDGET_DOCS;
  const now = deps.now?.() ?? new Date();
  // The widget's parameters, then what a button sent, then the form: the latest choice wins.
  const query = parsePageQuery({
    ...(raw as Record<string, unknown>),
    ...(event.widgetContext?.forms?.all ?? {}),
  });
  const model = await currentModel(deps, now);
  return renderCertificatePage(model, {
    title: event.title ?? "Certificates",
    query,
    ...(functionArn ? { actionEndpoint: functionArn } : {}),
  });
}

async function currentModel(deps: CertificatePageDeps, now: Date): Promise<PageModel> {
  if (cached && now.getTime() - cached.at < MODEL_TTL_MS && now.getTime() >= cached.at) {
    // The same model object: the renderer keeps its sorted rows per model (page-model.ts), and the
    // page says "as of" the read it shows.
    return cached.model;
  }
  const data = await deps.source.read(now);
  logger.info("certificate page read", {
    ...data.cost,
    entries: data.entries.length,
    alarms: data.alarms.length,
  });
  const model: PageModel = {
    generatedAt: now,
    warnDays: deps.config.certificates.thresholds.warnDays,
    certificates: certificatesOfInventory(data.entries),
    alarms: alarmsOfState(data.alarms, deps.config.notifications.runbookBaseUrl),
    notes: data.notes,
  };
  cached = { model, at: now.getTime() };
  return model;
}

/** Tests start each case without what an earlier one read. */
export function forgetCachedPage(): void {
  cached = undefined;
}
