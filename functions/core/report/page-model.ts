/**
 * What the certificate page shows, as plain data: one row per certificate watchpost judged, one
 * per active alarm, and the query (filters, page) an operator chose. Built from what the scans
 * already wrote — the object inventory and the alarm table in AWS, a scan report locally — so the
 * page never judges anything itself. Pure: no SDK, no clock (`generatedAt` is the instant).
 */
import * as z from "zod";
import { type AlarmDefinition, alarmDefinitionById, STORED_FILE } from "../alarms/catalog";
import { daysBetween } from "../certificates/certificate";
import { compareSeverity, type Finding, type ScanReport, Severity } from "../contracts";
import { remediationSteps } from "../notifications/remediation";
import { visibleText } from "../visible-text";
import { countExpiry, emptyTimeline, type TimelineBucket } from "./expiry-timeline";
import type { PageEntry } from "./page-entry";

/** Where a certificate (or the fault of an alarm) lives; every field is untrusted text. */
export interface PageLocation {
  bucket?: string;
  key?: string;
  file?: string;
  host?: string;
  path?: string;
  service?: string;
  cluster?: string;
  endpoint?: string;
  account?: string;
  region?: string;
}

export interface PageCertificate {
  /** "s3://bucket/key#0", "certs/api.pem#0": what alarms name as their source. */
  source: string;
  /** The configured source it belongs to ("s3://bucket/prefix"), or the directory scanned. */
  group: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  location: PageLocation;
}

export interface PageAlarm {
  alarmId: string;
  title: string;
  check: string;
  severity: Severity;
  /** The alarm's source: a certificate ("…#0"), a file, an endpoint, a credential target. */
  source: string;
  group: string;
  message: string;
  /** First seen (ISO). */
  since: string;
  /** The runbook's first step with the alarm's values filled in. */
  firstStep?: string;
  /** URL (with notifications.runbookBaseUrl) or path of the runbook page. */
  runbook: string;
  location: PageLocation;
}

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;

/**
 * A filter value as the widget's form carries it back. An HTML attribute does not return every
 * string byte for byte (the parser turns CR LF into LF and NUL into U+FFFD; a lone surrogate is
 * not UTF-8), and the page shows control and invisible characters as escapes, so a value that would come back
 * changed travels as base64url of its UTF-16 code units (which keep even a lone surrogate) behind
 * ENCODED_FILTER_MARK; so does a value that starts
 * with the mark itself, so a plain value is never read as an encoded one.
 */
const ENCODED_FILTER_MARK = "~b64~";
/** Longest value a filter matches on (an S3 key is at most 1,024 bytes; hosts and services are shorter). */
export const MAX_FILTER_CHARS = 4_096;
/** A filter field as sent: an encoded value is longer than the value (two bytes a unit, then base64). */
const MAX_FILTER_FIELD_CHARS = ENCODED_FILTER_MARK.length + Math.ceil((MAX_FILTER_CHARS * 2 * 4) / 3);

export function filterFormValue(value: string): string {
  const plain =
    !value.startsWith(ENCODED_FILTER_MARK) &&
    visibleText(value) === value &&
    Buffer.from(value, "utf8").toString("utf8") === value;
  return plain ? value : ENCODED_FILTER_MARK + Buffer.from(value, "utf16le").toString("base64url");
}

function filterValueFromForm(field: string): string {
  return field.startsWith(ENCODED_FILTER_MARK)
    ? Buffer.from(field.slice(ENCODED_FILTER_MARK.length), "base64url").toString("utf16le")
    : field;
}

const FilterField = z
  .string()
  .max(MAX_FILTER_FIELD_CHARS)
  .transform(filterValueFromForm)
  .pipe(z.string().max(MAX_FILTER_CHARS))
  .optional();

/** Filters and paging, as the widget's buttons and form fields send them (untrusted input). */
export const PageQuery = z.object({
  source: FilterField,
  host: FilterField,
  service: FilterField,
  severity: Severity.optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1),
  pageSize: z.coerce
    .number()
    .int()
    .refine((n) => (PAGE_SIZES as readonly number[]).includes(n))
    .catch(DEFAULT_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A query from loosely typed input: empty strings mean "no filter", bad values fall back. */
export function parsePageQuery(input: Record<string, unknown>): PageQuery {
  const cleaned: Record<string, unknown> = {};
  for (const name of ["source", "host", "service", "severity", "page", "pageSize"]) {
    const value = input[name];
    if (value === undefined || value === null || value === "") continue;
    cleaned[name] = value;
  }
  const parsed = PageQuery.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  // One bad filter (an unknown severity, an overlong value) drops that filter only.
  const safe: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(cleaned)) {
    if (PageQuery.safeParse({ [name]: value }).success) safe[name] = value;
  }
  return PageQuery.parse(safe);
}

export type CertificateStatus = "expired" | "not-yet-valid" | "expiring" | "valid";

export interface CertificateRow extends PageCertificate {
  daysLeft: number;
  status: CertificateStatus;
  /** The worst active alarm on this certificate (or on its file), if any. */
  alarm?: PageAlarm;
}

export interface PageModel {
  generatedAt: Date;
  /** Days before expiry at which a certificate counts as expiring (certificates.warnDays). */
  warnDays: number;
  certificates: PageCertificate[];
  alarms: PageAlarm[];
  /** What the page must say about its own completeness (a listing cut short, an unreadable item). */
  notes: string[];
}

/** What the page says about the rows matching its filters, all pages: counts and the timeline. */
export interface PageSummary {
  expired: number;
  expiring: number;
  timeline: TimelineBucket[];
}

export interface PageView {
  rows: CertificateRow[];
  /** Rows matching the filters, all pages. */
  matching: CertificateRow[];
  summary: PageSummary;
  alarms: PageAlarm[];
  total: number;
  page: number;
  pages: number;
  choices: { source: string[]; host: string[]; service: string[] };
}

/** What does not depend on the query, worked out once per model: the widget keeps its model a minute. */
interface Prepared {
  /** Every certificate's row, soonest expiry first. */
  rows: CertificateRow[];
  /** Each row's notAfter in epoch milliseconds, in the order of `rows`: parsed once, not per view. */
  expiry: Float64Array;
  /** The summary of all rows (the unfiltered view, the one a refresh shows). */
  summary: PageSummary;
  /** Every alarm, worst first, then oldest. */
  alarms: PageAlarm[];
  choices: PageView["choices"];
}

const prepared = new WeakMap<PageModel, Prepared>();

function prepare(model: PageModel): Prepared {
  const held = prepared.get(model);
  if (held) return held;
  const alarmsBySource = new Map<string, PageAlarm>();
  for (const alarm of model.alarms) {
    const worse = alarmsBySource.get(alarm.source);
    if (!worse || compareSeverity(alarm.severity, worse.severity) < 0)
      alarmsBySource.set(alarm.source, alarm);
  }
  const { certificates, generatedAt, warnDays } = model;
  const now = generatedAt.getTime();
  const count = certificates.length;
  // One pass over the certificates: each date parsed once, each row built once, field by field
  // (a spread per row costs more than the rest of the pass at 100,000 rows).
  const unsorted: CertificateRow[] = new Array(count);
  const expiryOf = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const certificate = certificates[i]!;
    const notAfter = Date.parse(certificate.notAfter);
    expiryOf[i] = notAfter;
    const daysLeft = daysBetween(generatedAt, new Date(notAfter));
    const alarm =
      alarmsBySource.size === 0
        ? undefined
        : worst(alarmsBySource.get(certificate.source), alarmsBySource.get(fileOf(certificate.source)));
    const status: CertificateStatus =
      notAfter < now
        ? "expired"
        : Date.parse(certificate.notBefore) > now
          ? "not-yet-valid"
          : daysLeft <= warnDays
            ? "expiring"
            : "valid";
    const row: CertificateRow = {
      source: certificate.source,
      group: certificate.group,
      subject: certificate.subject,
      issuer: certificate.issuer,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      location: certificate.location,
      daysLeft,
      status,
    };
    if (alarm) row.alarm = alarm;
    unsorted[i] = row;
  }
  const order = sortedByExpiry(unsorted, expiryOf);
  const rows: CertificateRow[] = new Array(count);
  const expiry = new Float64Array(count);
  const summary = emptySummary(model);
  for (let i = 0; i < count; i++) {
    const at = order[i]!;
    rows[i] = unsorted[at]!;
    expiry[i] = expiryOf[at]!;
    addToSummary(summary, rows[i]!, expiry[i]!, now);
  }
  const alarms = [...model.alarms].sort(
    (a, b) =>
      compareSeverity(a.severity, b.severity) ||
      byText(a.since, b.since) ||
      byText(a.source, b.source) ||
      byText(a.alarmId, b.alarmId),
  );
  const sources = new Set<string>();
  const hosts = new Set<string>();
  const services = new Set<string>();
  const offer = (where: { group: string; location: PageLocation }) => {
    sources.add(where.group);
    if (where.location.host) hosts.add(where.location.host);
    if (where.location.service) services.add(where.location.service);
  };
  // The certificates of one object are neighbours in the model and share its location: offered once.
  let last: PageCertificate | undefined;
  for (const certificate of certificates) {
    if (last?.location === certificate.location && last.group === certificate.group) continue;
    offer(certificate);
    last = certificate;
  }
  for (const alarm of model.alarms) offer(alarm);
  const result: Prepared = {
    rows,
    expiry,
    summary,
    alarms,
    choices: { source: distinct([...sources]), host: distinct([...hosts]), service: distinct([...services]) },
  };
  prepared.set(model, result);
  return result;
}

/**
 * Row indices, soonest expiry first, then by source; a date that does not parse sorts last. The
 * rows are first put in order of their expiry second by a numeric sort of packed keys (the second
 * since the soonest, times 2^20, plus the row's index: exact in a double, and sorted natively with
 * no comparator call); only runs that share a second are then ordered by the exact instant and the
 * source, so strings are compared only where dates tie. The result is the order of one stable sort
 * by (expiry, source). Inventories whose dates span more than 270 years, or with a million rows,
 * take one comparator sort instead.
 */
function sortedByExpiry(rows: readonly CertificateRow[], expiryOf: Float64Array): number[] {
  const count = rows.length;
  const exact = (i: number) => (Number.isNaN(expiryOf[i]!) ? Number.POSITIVE_INFINITY : expiryOf[i]!);
  const bySource = (a: number, b: number) => exact(a) - exact(b) || byText(rows[a]!.source, rows[b]!.source);
  let soonest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const at = expiryOf[i]!;
    if (at < soonest) soonest = at;
    if (at > latest) latest = at;
  }
  const INDEX_BITS = 2 ** 20;
  const lastSecond = Number.isFinite(soonest) ? Math.floor((latest - soonest) / 1000) + 1 : 0;
  if (count >= INDEX_BITS || (lastSecond + 1) * INDEX_BITS > Number.MAX_SAFE_INTEGER) {
    return Array.from({ length: count }, (_, i) => i).sort((a, b) => bySource(a, b) || a - b);
  }
  const second = (i: number) =>
    Number.isNaN(expiryOf[i]!) ? lastSecond : Math.floor((expiryOf[i]! - soonest) / 1000);
  const packed = new Float64Array(count);
  for (let i = 0; i < count; i++) packed[i] = second(i) * INDEX_BITS + i;
  packed.sort();
  const order: number[] = new Array(count);
  for (let i = 0; i < count; i++) order[i] = packed[i]! % INDEX_BITS;
  for (let start = 0; start < count; ) {
    const run = second(order[start]!);
    let end = start + 1;
    while (end < count && second(order[end]!) === run) end++;
    if (end - start > 1) {
      const sorted = order.slice(start, end).sort((a, b) => bySource(a, b) || a - b);
      for (let i = 0; i < sorted.length; i++) order[start + i] = sorted[i]!;
    }
    start = end;
  }
  return order;
}

function emptySummary(model: PageModel): PageSummary {
  return { expired: 0, expiring: 0, timeline: emptyTimeline(model.generatedAt, model.warnDays) };
}

function addToSummary(summary: PageSummary, row: CertificateRow, notAfterMs: number, nowMs: number): void {
  if (row.status === "expired") summary.expired++;
  else if (row.status === "expiring") summary.expiring++;
  countExpiry(summary.timeline, notAfterMs, nowMs);
}

/** Rows, filtered and paged, soonest expiry first; the alarms matching the same filters. */
export function pageView(model: PageModel, query: PageQuery): PageView {
  const all = prepare(model);
  const matches = (where: { group: string; location: PageLocation }, severity: Severity | undefined) =>
    (query.source === undefined || where.group === query.source) &&
    (query.host === undefined || where.location.host === query.host) &&
    (query.service === undefined || where.location.service === query.service) &&
    (query.severity === undefined || severity === query.severity);
  const filtered =
    query.source === undefined &&
    query.host === undefined &&
    query.service === undefined &&
    query.severity === undefined;
  let matching = all.rows;
  let summary = all.summary;
  if (!filtered) {
    // One pass: the matching rows and what the page says about them.
    matching = [];
    summary = emptySummary(model);
    const now = model.generatedAt.getTime();
    for (let i = 0; i < all.rows.length; i++) {
      const row = all.rows[i]!;
      if (!matches(row, row.alarm?.severity)) continue;
      matching.push(row);
      addToSummary(summary, row, all.expiry[i]!, now);
    }
  }
  const pages = Math.max(1, Math.ceil(matching.length / query.pageSize));
  const page = Math.min(query.page, pages);
  return {
    rows: matching.slice((page - 1) * query.pageSize, page * query.pageSize),
    matching,
    summary,
    alarms: filtered ? all.alarms : all.alarms.filter((alarm) => matches(alarm, alarm.severity)),
    total: matching.length,
    page,
    pages,
    choices: all.choices,
  };
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function worst(a: PageAlarm | undefined, b: PageAlarm | undefined): PageAlarm | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareSeverity(b.severity, a.severity) < 0 ? b : a;
}

/** "s3://b/k#2" → "s3://b/k": an alarm on the whole file applies to each certificate in it. */
function fileOf(source: string): string {
  // What source.replace(/#\d+$/, "") gives, without a regular expression: called once a row.
  const at = source.lastIndexOf("#");
  if (at < 0 || at === source.length - 1) return source;
  for (let i = at + 1; i < source.length; i++) {
    const code = source.charCodeAt(i);
    if (code < 48 || code > 57) return source;
  }
  return source.slice(0, at);
}

function distinct(values: string[]): string[] {
  return values.filter((v) => v !== "").sort(byText);
}

// ---------------------------------------------------------------------------------------------
// From what the scans wrote

/** "s3://bucket/prefix" → bucket. */
function bucketOf(scope: string): string | undefined {
  return /^s3:\/\/([^/]+)/.exec(scope)?.[1];
}

/** Location fields and the parameters they come from, in the order a location lists them. */
const LOCATION_PARAMETERS: readonly [keyof PageLocation, string][] = [
  ["bucket", "Bucket"],
  ["key", "Key"],
  ["host", "HostName"],
  ["path", "HostPath"],
  ["service", "ServiceName"],
  ["cluster", "Cluster"],
  ["endpoint", "Endpoint"],
  ["account", "Account"],
  ["region", "Region"],
];

function locationOf(parameters: Readonly<Record<string, string>>): PageLocation {
  const location: PageLocation = {};
  for (const [field, parameter] of LOCATION_PARAMETERS) {
    const value = parameters[parameter];
    if (value !== undefined && value !== "") location[field] = value;
  }
  return location;
}

/** Every certificate of the inventory's page entries, located by bucket, key and the object's parameters. */
export function certificatesOfInventory(entries: readonly PageEntry[]): PageCertificate[] {
  const certificates: PageCertificate[] = [];
  const noParameters: Readonly<Record<string, string>> = {};
  for (const entry of entries) {
    // One location per object, shared by its certificates; the object's bucket and key win over
    // what its parameters say.
    const location = locationOf(entry.parameters ?? noParameters);
    const bucket = bucketOf(entry.scope);
    if (bucket) location.bucket = bucket;
    location.key = entry.key;
    for (const c of entry.certificates) {
      certificates.push({
        source: c.source,
        group: entry.scope,
        subject: c.subject,
        issuer: c.issuer,
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        location,
      });
    }
  }
  return certificates;
}

/** The part of a stored alarm the page reads (functions/core/alarms/lifecycle.ts, AlarmState). */
export const StoredAlarm = z.object({
  alarmId: z.string(),
  check: z.string(),
  scope: z.string(),
  source: z.string(),
  severity: Severity,
  status: z.string(),
  firstSeen: z.string(),
  message: z.string(),
  parameters: z.record(z.string(), z.string()).catch({}),
});
export type StoredAlarm = z.infer<typeof StoredAlarm>;

/** Active alarms as the page lists them, each with its runbook and first step filled in. */
export function alarmsOfState(states: readonly StoredAlarm[], runbookBaseUrl?: string): PageAlarm[] {
  return states
    .filter((state) => state.status === "active")
    .map((state) => pageAlarm({ ...state, group: state.scope }, runbookBaseUrl));
}

function pageAlarm(
  alarm: Pick<
    StoredAlarm,
    "alarmId" | "check" | "source" | "severity" | "firstSeen" | "message" | "parameters"
  > & {
    group: string;
  },
  runbookBaseUrl: string | undefined,
  localFile = false,
): PageAlarm {
  const definition = alarmDefinitionById(alarm.alarmId);
  const doc = definition?.doc ?? "docs/alarms/README.md";
  // Filled in when first shown: a page lists at most a hundred of possibly thousands of alarms.
  let firstStep: string | undefined | null = null;
  return {
    alarmId: alarm.alarmId,
    title: definition?.title ?? alarm.check,
    check: alarm.check,
    severity: alarm.severity,
    source: alarm.source,
    group: alarm.group,
    message: alarm.message,
    since: alarm.firstSeen,
    get firstStep() {
      if (firstStep === null)
        firstStep = definition ? firstStepOf(definition, alarm.parameters, localFile) : undefined;
      return firstStep;
    },
    runbook: runbookBaseUrl ? `${runbookBaseUrl.replace(/\/+$/, "")}/${doc}` : doc,
    location: locationOf(alarm.parameters),
  };
}

/**
 * The runbook's first step for this alarm. A file on this machine is a file, neither in a bucket
 * nor served: the steps for other materials (a peer, a stored keystore or PKCS#12 file) and those
 * that fetch a stored file do not apply.
 */
function firstStepOf(
  definition: AlarmDefinition,
  parameters: Record<string, string>,
  localFile: boolean,
): string | undefined {
  if (!localFile) return remediationSteps(definition, parameters)[0];
  const procedure = {
    ...definition,
    handlingProcedure: definition.handlingProcedure.filter((step) => !step.startsWith(STORED_FILE)),
  };
  return remediationSteps(procedure, parameters, "file")[0];
}

/** A local scan (`watchpost scan`'s report): its certificates, and its findings as the alarms it would raise. */
export function modelOfScanReport(report: ScanReport, options: { warnDays: number }): PageModel {
  const certificates = report.certificates.map((summary) => {
    const file = fileOf(summary.source);
    return {
      source: summary.source,
      group: directoryOf(file),
      subject: summary.subject,
      issuer: summary.issuer,
      notBefore: summary.notBefore,
      notAfter: summary.notAfter,
      location: { file },
    };
  });
  const alarms = report.findings.map((finding: Finding) => ({
    ...pageAlarm(
      {
        alarmId: finding.alarmId,
        check: finding.check,
        source: finding.source,
        severity: finding.severity,
        firstSeen: report.scannedAt,
        message: finding.message,
        parameters: {},
        group: directoryOf(fileOf(finding.source)),
      },
      undefined,
      true,
    ),
    location: { file: fileOf(finding.source) },
  }));
  return {
    generatedAt: new Date(report.scannedAt),
    warnDays: options.warnDays,
    certificates,
    alarms,
    notes: [],
  };
}

function directoryOf(file: string): string {
  const at = file.lastIndexOf("/");
  return at > 0 ? file.slice(0, at) : ".";
}
