/**
 * The certificate page's widget function against dynalite: the inventory and alarms written by the
 * real adapters, read back through the `inventory-page` index and the alarm table, and the widget's
 * event and answer as CloudWatch documents them (User Guide, "Details about custom widgets in
 * CloudWatch": every call carries `widgetContext`, the widget's parameters are top-level fields,
 * the answer is an HTML string; "Interactivity in the custom widget in CloudWatch": a
 * `<cwdb-action action="call">` sends its JSON back as the event, the form's fields in
 * `widgetContext.forms.all`). `describe: true` returns the documentation (aws-samples/cloudwatch-
 * custom-widgets-samples, README, "What is the 'Hello world' Custom Widget example?").
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CertificatePageSource,
  createCertificatePageSource,
  type PageData,
} from "../../../functions/adapters/certificate-page-source";
import { alarmDefinitionById } from "../../../functions/core/alarms/catalog";
import { parseConfig } from "../../../functions/core/config";
import { remediationSteps } from "../../../functions/core/notifications/remediation";
import { PAGE_SHARDS } from "../../../functions/core/report/page-entry";
import {
  certificatePage,
  forgetCachedPage,
  MODEL_TTL_MS,
  WIDGET_DOCS,
} from "../../../functions/handlers/certificate-page";
import {
  type GeneratedInventory,
  generateInventory,
  HOSTILE_SUBJECT,
  storeInventory,
} from "../../support/certificate-inventory";
import { type LocalDynamo, startDynalite } from "../../support/emulators";
import { callActions, summaryOf, tableRows } from "../../support/page-html";

// The inventory adapter stamps entries' time to live from the real clock: the page is read now.
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const DAY = 86_400_000;
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:watchpost-CertificatePage";
const config = parseConfig({
  certificates: { sources: [{ prefix: "clusters/" }] },
  notifications: { runbookBaseUrl: "https://runbooks.example.com/watchpost" },
});

let dynamo: LocalDynamo;
let generated: GeneratedInventory;
let source: CertificatePageSource;
const reads: PageData["cost"][] = [];

/** The widget event as CloudWatch sends it, with the widget's parameters and the form's fields. */
function widgetEvent(extra: Record<string, unknown> = {}, form: Record<string, string> = {}) {
  return {
    title: "Certificates",
    pageSize: 50,
    ...extra,
    widgetContext: {
      dashboardName: "Watchpost-Dashboard",
      widgetId: "widget-1",
      accountId: "123456789012",
      locale: "en",
      timezone: { label: "UTC", offsetISO: "+00:00", offsetInMinutes: 0 },
      period: 300,
      isAutoPeriod: true,
      timeRange: {
        mode: "relative",
        start: NOW.getTime() - 7 * DAY,
        end: NOW.getTime(),
        relativeStart: 7 * DAY,
      },
      theme: "light",
      linkCharts: true,
      title: "Certificates by days left",
      forms: { all: form },
      params: { title: "Certificates", pageSize: 50 },
      width: 1200,
      height: 800,
    },
  };
}

function invoke(event: unknown, at = NOW) {
  return certificatePage(event, { config, source, now: () => at }, FUNCTION_ARN);
}

beforeAll(async () => {
  dynamo = await startDynalite();
  generated = generateInventory(NOW, 300);
  const tables = await storeInventory(dynamo, generated);
  const real = createCertificatePageSource({ ...tables, client: dynamo.client });
  source = {
    async read(now) {
      const data = await real.read(now);
      reads.push(data.cost);
      return data;
    },
  };
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

beforeEach(() => {
  forgetCachedPage();
  reads.length = 0;
});

/** Every generated certificate as the page should list it: soonest expiry first. */
function expectedOrder() {
  return generated.records
    .flatMap((r) =>
      r.certificates.map((c) => ({ subject: c.subject, notAfter: String(c.notAfter), source: c.source })),
    )
    .sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter) || (a.source < b.source ? -1 : 1));
}

describe("the certificate page widget on dynalite", () => {
  it("answers CloudWatch's describe request with its documentation", async () => {
    // Act
    const answer = await invoke({ describe: true, widgetContext: widgetEvent().widgetContext });

    // Assess
    expect(answer).toBe(WIDGET_DOCS);
    expect(reads).toEqual([]);
  });

  it("lists the first page by days left, with the summary, and reads each index shard once", async () => {
    // Act
    const html = await invoke(widgetEvent());

    // Assess
    const all = expectedOrder();
    const rows = tableRows(html, "certificates");
    expect(rows.map((r) => r[0])).toEqual(all.slice(0, 50).map((c) => c.subject));
    const expiring = all.filter((c) => {
      const days = (Date.parse(c.notAfter) - NOW.getTime()) / DAY;
      return days >= 0 && days <= 30;
    }).length;
    expect(summaryOf(html)).toBe(
      `${generated.certificates} certificates · ${generated.expired} expired · ${expiring} expiring within 30 days · ${generated.alarms.length} active alarms · as of ${NOW.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    );
    const first = generated.records.find((r) => r.certificates.some((c) => c.source === all[0]!.source))!;
    const alarm = generated.alarms.find((a) => a.source === all[0]!.source)!;
    expect(rows[0]).toEqual([
      all[0]!.subject,
      `s3://${first.scope.split("/")[2]}/${first.key} | host ${first.parameters!.HostName}: /opt/${first.parameters!.ServiceName}/ssl/server.pem | service ${first.parameters!.ServiceName}`,
      "CN=Cluster Intermediate CA,O=Example",
      new Date(all[0]!.notAfter).toISOString().slice(0, 16).replace("T", " "),
      "-29.5",
      "expired",
      `critical ${alarm.alarmId} runbook`,
    ]);
    expect(html).toContain(
      `<a href="https://runbooks.example.com/watchpost/docs/alarms/${alarm.alarmId}.md"`,
    );
    expect(reads).toHaveLength(1);
    // One query per shard (each under 1 MB here) and one scan of the alarm table.
    expect(reads[0]!.calls).toBe(PAGE_SHARDS + 1);
    expect(reads[0]!.items).toBe(generated.records.length);
  });

  it("shows the active alarms worst first with since when and the runbook's first step", async () => {
    // Act
    const html = await invoke(widgetEvent());

    // Assess
    const rows = tableRows(html, "alarms");
    expect(rows).toHaveLength(generated.alarms.length);
    const severities = rows.map((r) => r[0]);
    expect(severities).toEqual(
      [...severities].sort(
        (a, b) =>
          ["critical", "major", "minor", "warning"].indexOf(a!) -
          ["critical", "major", "minor", "warning"].indexOf(b!),
      ),
    );
    const critical = generated.alarms
      .filter((a) => a.severity === "critical")
      .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.source.localeCompare(b.source))[0]!;
    expect(rows[0]![0]).toBe("critical");
    expect(rows[0]![1]).toBe(
      `${critical.alarmId} ${alarmDefinitionById(critical.alarmId)!.title} | ${critical.message}`,
    );
    expect(rows[0]![3]).toBe(critical.firstSeen.slice(0, 16).replace("T", " "));
    // The runbook's first step, its placeholders filled with the alarm's bucket and key.
    expect(rows[0]![4]).toBe(
      remediationSteps(alarmDefinitionById(critical.alarmId)!, critical.parameters)[0],
    );
    expect(rows[0]![4]).toContain(critical.parameters.Key);
    expect(rows[0]![5]).toBe("runbook");
  });

  it("pages forward from the Next button's call, keeping the form's filters", async () => {
    // Prepare: the first page's Next button
    const first = await invoke(widgetEvent());
    const next = callActions(first).at(-1) as Record<string, unknown>;

    // Act: CloudWatch sends the button's JSON as the event, the form's fields in forms.all
    const html = await invoke(
      { ...next, widgetContext: widgetEvent().widgetContext },
      new Date(NOW.getTime() + 1000),
    );

    // Assess
    expect(next).toEqual({ page: 2 });
    expect(tableRows(html, "certificates").map((r) => r[0])).toEqual(
      expectedOrder()
        .slice(50, 100)
        .map((c) => c.subject),
    );
    expect(html).toContain("<span>page 2 of ");
    expect(reads).toHaveLength(1);
  });

  it("filters by severity, service and host from the form", async () => {
    // Act
    const html = await invoke(
      widgetEvent({}, { severity: "minor", service: "kafka", host: "", source: "", pageSize: "200" }),
    );

    // Assess
    const expected = generated.alarms.filter(
      (a) => a.severity === "minor" && a.parameters.ServiceName === "kafka",
    );
    const rows = tableRows(html, "certificates");
    expect(rows.map((r) => r[6]!.split(" ")[0])).toEqual(expected.map(() => "minor"));
    expect(rows).toHaveLength(expected.length);
    expect(tableRows(html, "alarms")).toHaveLength(expected.length);
  });

  it("shows a subject's markup and script as text", async () => {
    // Act: everything on one page
    const html = await invoke(widgetEvent({ pageSize: 200 }, { pageSize: "200" }));
    const pages = Math.ceil(generated.certificates / 200);
    const all = [html];
    for (let page = 2; page <= pages; page++)
      all.push(await invoke({ page, widgetContext: widgetEvent({}, { pageSize: "200" }).widgetContext }));

    // Assess
    const subjects = all.flatMap((h) => tableRows(h, "certificates").map((r) => r[0]));
    expect(subjects).toContain(HOSTILE_SUBJECT);
    expect(all.join("")).not.toContain("<script>");
    expect(all.join("")).not.toContain("<img src=x");
  });

  it("reads again once its minute is up, not before", async () => {
    // Act
    await invoke(widgetEvent());
    await invoke(widgetEvent(), new Date(NOW.getTime() + MODEL_TTL_MS - 1));
    await invoke(widgetEvent(), new Date(NOW.getTime() + MODEL_TTL_MS));

    // Assess
    expect(reads).toHaveLength(2);
  });

  it("leaves out inventory entries whose time to live has passed", async () => {
    // Act: a month and more later every generated entry has lapsed (retention 30 days)
    const html = await invoke(widgetEvent(), new Date(NOW.getTime() + 31 * DAY));

    // Assess
    expect(tableRows(html, "certificates")).toEqual([]);
    expect(html).toContain("No certificate matches.");
  });
});

describe("the page source, on damaged index items", () => {
  it("skips each item whose page attribute it cannot read, says how many, and lists the rest", async () => {
    // Prepare: two good entries, then items a later layout or damage left in the index
    const tables = await storeInventory(dynamo, generateInventory(NOW, 2), {
      scanStateTable: "scan-state-damaged",
      alarmTable: "alarms-damaged",
    });
    const damaged = [
      { S: "not json" },
      { S: JSON.stringify({ scope: "s", key: "k", certificates: [{ source: "x" }] }) },
      { S: JSON.stringify({ scope: "s", key: "k", certificates: "all" }) },
      { N: "42" },
    ];
    for (const [i, page] of damaged.entries()) {
      await dynamo.client.send(
        new PutItemCommand({
          TableName: tables.scanStateTable,
          Item: {
            pk: { S: `damaged:${i}` },
            sk: { S: "x" },
            pageShard: { S: String(i % PAGE_SHARDS) },
            page,
          },
        }),
      );
    }
    const pageSource = createCertificatePageSource({ ...tables, client: dynamo.client });

    // Act
    const data = await pageSource.read(NOW);

    // Assess
    expect(data.entries.map((e) => e.key).sort()).toEqual(
      generateInventory(NOW, 2)
        .records.map((r) => r.key)
        .sort(),
    );
    expect(data.notes).toEqual(["4 inventory entries could not be read and are not shown."]);
    expect(data.cost.items).toBe(6);
  });
});
