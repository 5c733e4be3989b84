/**
 * The certificate page: the inventory by days left, the expiry timeline, and the active alarms with
 * the runbook's first step. One renderer for every place it is shown — the CloudWatch custom widget
 * (handlers/certificate-page.ts), `npm start` and `watchpost report --html` — so they cannot
 * disagree. Pure: no SDK, no clock; every untrusted value goes through html.ts.
 *
 * In the widget, filtering and paging are buttons that call the widget's function again with
 * `<cwdb-action action="call">` (CloudWatch User Guide, "Interactivity in the custom widget": no
 * JavaScript runs in a custom widget); the filter fields are form fields, whose values CloudWatch
 * passes back in `widgetContext.forms.all`. A page written to a file shows the filters it was
 * rendered with and every certificate of the chosen page, and runs no script either.
 */
import { SEVERITIES } from "../contracts";
import { TIMELINE_DAYS, timelineSvg } from "./expiry-timeline";
import { attr, safeHref, text } from "./html";
import {
  type CertificateRow,
  type CertificateStatus,
  filterFormValue,
  PAGE_SIZES,
  type PageAlarm,
  type PageLocation,
  type PageModel,
  type PageQuery,
  type PageView,
  pageView,
} from "./page-model";

/**
 * What the page may weigh. A widget's HTML is the function's synchronous response, which Lambda caps
 * at 6 MB (Lambda API Reference, Invoke: "For synchronous invocations, the maximum payload size is
 * 6 MB"); the page stays far below it, so the browser draws it quickly too.
 */
export const MAX_PAGE_BYTES = 1_000_000;
/** Alarms listed before "and N more" (the filters narrow the rest down). */
export const MAX_ALARM_ROWS = 100;
/** Values offered per filter field; more are reachable through the other filters. */
export const MAX_CHOICES = 200;
/**
 * Shares of MAX_PAGE_BYTES: every untrusted field is cut at MAX_FIELD_CHARS, but escaping can
 * still make a row of crafted text several kilobytes, so each section stops adding rows at its
 * share and says how many it left out.
 */
const BUDGET = { filters: 150_000, alarms: 250_000, certificates: 500_000 } as const;

export interface RenderOptions {
  title: string;
  query: PageQuery;
  /** For the widget: the function ARN its buttons call. Without it, the page has no buttons. */
  actionEndpoint?: string;
}

const STATUS_LABEL: Record<CertificateStatus, string> = {
  expired: "expired",
  "not-yet-valid": "not yet valid",
  expiring: "expiring",
  valid: "valid",
};

const STYLE = `
.wp{font:13px/1.4 "Amazon Ember","Helvetica Neue",Roboto,Arial,sans-serif;color:#16191f}
.wp h2{font-size:18px;margin:4px 0}.wp h3{font-size:15px;margin:14px 0 6px}
.wp .summary{margin:2px 0 8px;color:#545b64}.wp .note{background:#fff7e6;border-left:3px solid #f89256;padding:4px 8px;margin:4px 0}
.wp table{border-collapse:collapse;width:100%;font-size:13px}.wp th,.wp td{text-align:left;padding:3px 6px;border-bottom:1px solid #eaeded;vertical-align:top}
.wp td.subject,.wp td.where{overflow-wrap:anywhere;max-width:360px}.wp td.num{text-align:right;white-space:nowrap}
.wp .sev{font-weight:700;text-transform:uppercase;font-size:11px;padding:1px 5px;border-radius:3px;color:#fff}
.wp .sev-critical{background:#7d1f0e}.wp .sev-major{background:#d13212}.wp .sev-minor{background:#f89256;color:#16191f}.wp .sev-warning{background:#0073bb}
.wp .st-expired,.wp .st-not-yet-valid{color:#d13212;font-weight:700}.wp .st-expiring{color:#b65e00;font-weight:700}.wp .st-valid{color:#1d8102}
.wp .filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:6px 0}.wp .filters label{display:flex;flex-direction:column;font-size:11px;color:#545b64}
.wp .paging{display:flex;gap:8px;align-items:center;margin:6px 0}.wp code{font-size:12px;overflow-wrap:anywhere}
.wp table.alarms{table-layout:fixed}.wp .clamp{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.wp small{color:#545b64}.wp cwdb-action{display:none}.wp .btn{display:inline-block;padding:2px 12px;border:1px solid #545b64;border-radius:2px;color:#16191f;text-decoration:none;cursor:pointer}
.wp .btn-primary{background:#ec7211;border-color:#ec7211;color:#fff}
`;

/** The whole page as one HTML fragment (the widget's response; `htmlDocument` wraps it for a file). */
export function renderCertificatePage(model: PageModel, options: RenderOptions): string {
  const view = pageView(model, options.query);
  const { expired, expiring } = view.summary;
  const parts = [
    `<div class="wp">`,
    `<style>${STYLE}</style>`,
    `<h2>${text(options.title)}</h2>`,
    `<p class="summary">${view.total} certificate${view.total === 1 ? "" : "s"} · ${expired} expired · ${expiring} expiring within ${model.warnDays} days · ${view.alarms.length} active alarm${view.alarms.length === 1 ? "" : "s"} · as of ${model.generatedAt.toISOString().slice(0, 16).replace("T", " ")} UTC</p>`,
    ...model.notes.map((note) => `<p class="note">${text(note, 1_000)}</p>`),
    filtersSection(view, options),
    `<h3>Expiry timeline: certificates expiring per week, next ${TIMELINE_DAYS} days</h3>`,
    timelineSvg(view.summary.timeline),
    alarmsSection(view.alarms),
    certificatesSection(view, options),
    `</div>`,
  ];
  return parts.join("\n");
}

/** A standalone HTML document around the page, for `npm start` and `watchpost report --html`. */
export function htmlDocument(fragment: string, title: string): string {
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8">`,
    // Nothing on the page may run or load anything: no script at all, images only inline.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${text(title)}</title></head><body>`,
    fragment,
    "</body></html>",
    "",
  ].join("\n");
}

function filtersSection(view: PageView, options: RenderOptions): string {
  const { query } = options;
  if (!options.actionEndpoint) {
    const active = (
      [
        ["source", query.source],
        ["host", query.host],
        ["service", query.service],
        ["severity", query.severity],
      ] as const
    ).filter(([, value]) => value !== undefined);
    return active.length === 0
      ? ""
      : `<p class="filters">Filtered by ${active.map(([name, value]) => `${name} <code>${text(value!)}</code>`).join(", ")}</p>`;
  }
  const select = (name: "source" | "host" | "service", label: string) => {
    const values = view.choices[name];
    const chosen = query[name];
    const offered = values.slice(0, MAX_CHOICES);
    if (chosen !== undefined && !offered.includes(chosen)) offered.unshift(chosen);
    const options = withinBudget(
      offered.map(
        (v) =>
          `<option value=${attr(filterFormValue(v), Number.POSITIVE_INFINITY)}${v === chosen ? " selected" : ""}>${text(v, 80)}</option>`,
      ),
      BUDGET.filters / 3,
    );
    return `<label>${label}<select name="${name}"><option value="">all</option>${options.taken.join("")}</select></label>`;
  };
  const severity = `<label>Severity<select name="severity"><option value="">all</option>${SEVERITIES.map(
    (s) => `<option value="${s}"${s === query.severity ? " selected" : ""}>${s}</option>`,
  ).join("")}</select></label>`;
  const pageSize = `<label>Rows<select name="pageSize">${PAGE_SIZES.map(
    (n) => `<option value="${n}"${n === query.pageSize ? " selected" : ""}>${n}</option>`,
  ).join("")}</select></label>`;
  return [
    `<form class="filters">`,
    select("source", "Source"),
    select("host", "Host"),
    select("service", "Service"),
    severity,
    pageSize,
    `<a class="btn btn-primary">Apply</a>`,
    callAction(options.actionEndpoint, { page: 1 }),
    `</form>`,
  ].join("");
}

/**
 * The widget's function called again with these parameters; the form fields come along in
 * widgetContext.forms.all. The JSON is element text, so only &, < and > could be read as markup:
 * they are written as JSON escapes, which JSON.parse reads back unchanged.
 */
function callAction(endpoint: string, params: Record<string, unknown>): string {
  const json = JSON.stringify(params).replace(
    /[<>&]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `<cwdb-action action="call" display="widget" endpoint=${attr(endpoint, 2_048)}>${json}</cwdb-action>`;
}

function alarmsSection(alarms: readonly PageAlarm[]): string {
  const head = `<h3>Active alarms (${alarms.length})</h3>`;
  if (alarms.length === 0) return `${head}<p>None.</p>`;
  // Message and first step show two lines each, the whole text on hover (the title attribute).
  const rendered = alarms
    .slice(0, MAX_ALARM_ROWS)
    .map(
      (alarm) =>
        `<tr><td><span class="sev sev-${alarm.severity}">${alarm.severity}</span></td>` +
        `<td>${text(alarm.alarmId)} ${text(alarm.title)}<br><small class="clamp" title=${attr(alarm.message, 600)}>${text(alarm.message)}</small></td>` +
        `<td class="where">${locationHtml(alarm.location, alarm.source)}</td>` +
        `<td class="num">${text(readable(alarm.since))}</td>` +
        `<td>${alarm.firstStep ? `<code class="clamp" title=${attr(alarm.firstStep, 600)}>${text(alarm.firstStep, 600)}</code>` : ""}</td>` +
        `<td>${runbookLink(alarm.runbook)}</td></tr>`,
    );
  const rows = withinBudget(rendered, BUDGET.alarms);
  const left = alarms.length - rows.taken.length;
  const more = left > 0 ? `<p>and ${left} more; narrow them down with the filters.</p>` : "";
  return `${head}<table class="alarms"><colgroup><col style="width:80px"><col style="width:28%"><col style="width:24%"><col style="width:120px"><col><col style="width:70px"></colgroup><thead><tr><th>Severity</th><th>Alarm</th><th>Where</th><th>Since</th><th>First step</th><th>Runbook</th></tr></thead><tbody>${rows.taken.join("")}</tbody></table>${more}`;
}

function certificatesSection(view: PageView, options: RenderOptions): string {
  const { pageSize } = options.query;
  const first = view.total === 0 ? 0 : (view.page - 1) * pageSize + 1;
  const last = Math.min(view.total, view.page * pageSize);
  const head = `<h3>Certificates by days left (${first}–${last} of ${view.total})</h3>`;
  if (view.total === 0) return `${head}<p>No certificate matches.</p>`;
  const rows = withinBudget(view.rows.map(certificateRow), BUDGET.certificates);
  const cut =
    rows.taken.length < view.rows.length
      ? `<p class="note">${view.rows.length - rows.taken.length} rows of this page are not shown: their text is too long for one page. Choose fewer rows per page.</p>`
      : "";
  return [
    head,
    `<table class="certificates"><thead><tr><th>Subject</th><th>Location</th><th>Issuer</th><th>Not after (UTC)</th><th>Days left</th><th>Status</th><th>Active alarm</th></tr></thead><tbody>`,
    rows.taken.join(""),
    `</tbody></table>`,
    cut,
    paging(view, options),
  ].join("");
}

function certificateRow(row: CertificateRow): string {
  const alarm = row.alarm
    ? `<span class="sev sev-${row.alarm.severity}">${row.alarm.severity}</span> ${text(row.alarm.alarmId)} ${runbookLink(row.alarm.runbook)}`
    : "";
  return (
    `<tr><td class="subject">${text(row.subject === "" ? "(no subject)" : row.subject)}</td>` +
    `<td class="where">${locationHtml(row.location, row.source)}</td>` +
    `<td class="subject">${text(row.issuer)}</td>` +
    `<td class="num">${text(readable(row.notAfter))}</td>` +
    `<td class="num">${row.daysLeft.toFixed(1)}</td>` +
    `<td class="st-${row.status}">${STATUS_LABEL[row.status]}</td>` +
    `<td>${alarm}</td></tr>`
  );
}

function paging(view: PageView, options: RenderOptions): string {
  if (view.pages <= 1) return "";
  const at = `<span>page ${view.page} of ${view.pages}</span>`;
  if (!options.actionEndpoint) return `<p class="paging">${at}</p>`;
  const button = (label: string, page: number) =>
    `<a class="btn">${label}</a>${callAction(options.actionEndpoint!, { page })}`;
  return `<div class="paging">${view.page > 1 ? button("Previous", view.page - 1) : ""}${at}${
    view.page < view.pages ? button("Next", view.page + 1) : ""
  }</div>`;
}

/** "s3://bucket/key", "host flink01: /opt/…", "endpoint host:443", with account and region when known. */
function locationHtml(location: PageLocation, source: string): string {
  const lines: string[] = [];
  if (location.bucket && location.key)
    lines.push(`<code>s3://${text(location.bucket)}/${text(location.key)}</code>`);
  else if (location.file) lines.push(`<code>${text(location.file)}</code>`);
  else if (location.endpoint) lines.push(`endpoint <code>${text(location.endpoint)}</code>`);
  else lines.push(`<code>${text(source)}</code>`);
  const host = [
    location.host ? `host ${text(location.host)}` : "",
    location.path ? `<code>${text(location.path)}</code>` : "",
  ]
    .filter(Boolean)
    .join(": ");
  if (host) lines.push(host);
  const where = [
    location.service ? `service ${text(location.service)}` : "",
    location.cluster ? `cluster ${text(location.cluster)}` : "",
    location.account ? `account ${text(location.account)}` : "",
    location.region ? text(location.region) : "",
  ].filter(Boolean);
  if (where.length > 0) lines.push(where.join(" · "));
  return lines.join("<br>");
}

function runbookLink(runbook: string): string {
  const href = safeHref(runbook);
  return href ? `<a href=${attr(href, 2_048)} target="_blank" rel="noopener">runbook</a>` : text(runbook);
}

/** The leading items whose UTF-8 size together stays within `budget` bytes. */
function withinBudget(items: readonly string[], budget: number): { taken: string[] } {
  const taken: string[] = [];
  let used = 0;
  for (const item of items) {
    used += Buffer.byteLength(item, "utf8");
    if (used > budget) break;
    taken.push(item);
  }
  return { taken };
}

function readable(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 16).replace("T", " ");
}
