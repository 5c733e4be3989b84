/**
 * The page as rendered from a model: rows by days left with status and the worst alarm of the
 * certificate or its file, filters and paging, the buttons a widget calls back with, and the
 * budgets that keep a crafted inventory from filling the widget's answer.
 */
import { describe, expect, it } from "vitest";
import { MAX_ALARM_ROWS, renderCertificatePage } from "../../../functions/core/report/certificate-page";
import {
  type PageAlarm,
  type PageCertificate,
  type PageModel,
  pageView,
  parsePageQuery,
} from "../../../functions/core/report/page-model";
import { callActions, optionValues, summaryOf, tableRows } from "../../support/page-html";

const NOW = new Date("2027-01-01T00:00:00Z");
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
const ENDPOINT = "arn:aws:lambda:eu-west-1:123456789012:function:page";

function certificate(name: string, daysLeft: number, where: Partial<PageCertificate> = {}): PageCertificate {
  return {
    source: `s3://certs/prod/${name}.pem#0`,
    group: "s3://certs/prod/",
    subject: `CN=${name}`,
    issuer: "CN=CA",
    notBefore: at(daysLeft < -300 ? daysLeft - 10 : -300),
    notAfter: at(daysLeft),
    location: { bucket: "certs", key: `prod/${name}.pem`, host: `${name}.host`, service: "kafka" },
    ...where,
  };
}

function alarm(
  source: string,
  severity: PageAlarm["severity"],
  since: string,
  extra: Partial<PageAlarm> = {},
): PageAlarm {
  return {
    alarmId: severity === "critical" ? "1001" : "1002",
    title: "t",
    check: "expiring",
    severity,
    source,
    group: "s3://certs/prod/",
    message: "m",
    since,
    runbook: "docs/alarms/1002.md",
    location: {},
    ...extra,
  };
}

function model(certificates: PageCertificate[], alarms: PageAlarm[] = []): PageModel {
  return { generatedAt: NOW, warnDays: 30, certificates, alarms, notes: [] };
}

describe("rows", () => {
  it("lists certificates by days left with their status and the worst alarm on them or their file", () => {
    // Prepare
    const page = model(
      [
        certificate("valid", 100),
        certificate("expired", -2),
        certificate("soon", 10),
        certificate("future", 200, { notBefore: at(1) }),
        certificate("edge", 30),
      ],
      [
        alarm("s3://certs/prod/soon.pem#0", "minor", at(-1)),
        alarm("s3://certs/prod/soon.pem", "major", at(-1), { alarmId: "1007" }),
        alarm("s3://certs/prod/expired.pem#0", "critical", at(-2)),
      ],
    );

    // Act
    const html = renderCertificatePage(page, { title: "T", query: parsePageQuery({}) });

    // Assess
    expect(tableRows(html, "certificates").map((r) => [r[0], r[4], r[5], r[6]])).toEqual([
      ["CN=expired", "-2.0", "expired", "critical 1001 runbook"],
      ["CN=soon", "10.0", "expiring", "major 1007 runbook"],
      ["CN=edge", "30.0", "expiring", ""],
      ["CN=valid", "100.0", "valid", ""],
      ["CN=future", "200.0", "not yet valid", ""],
    ]);
    expect(summaryOf(html)).toBe(
      "5 certificates · 1 expired · 2 expiring within 30 days · 3 active alarms · as of 2027-01-01 00:00 UTC",
    );
    expect(tableRows(html, "alarms").map((r) => [r[0], r[1]!.split(" ")[0]])).toEqual([
      ["critical", "1001"],
      ["major", "1007"],
      ["minor", "1002"],
    ]);
  });

  it("shows where each certificate lives: bucket and key, host and path, service, cluster, account and region", () => {
    // Prepare
    const page = model([
      certificate("a", 5, {
        location: {
          bucket: "b",
          key: "k.pem",
          host: "h1",
          path: "/etc/ssl/k.pem",
          service: "kafka",
          cluster: "c1",
          account: "123456789012",
          region: "eu-west-1",
        },
      }),
      certificate("b", 6, { location: { endpoint: "api.example.com:443" } }),
      certificate("c", 7, { location: { file: "certs/c.pem" } }),
      certificate("d", 8, { location: {} }),
    ]);

    // Act
    const rows = tableRows(
      renderCertificatePage(page, { title: "T", query: parsePageQuery({}) }),
      "certificates",
    );

    // Assess
    expect(rows.map((r) => r[1])).toEqual([
      "s3://b/k.pem | host h1: /etc/ssl/k.pem | service kafka · cluster c1 · account 123456789012 · eu-west-1",
      "endpoint api.example.com:443",
      "certs/c.pem",
      "s3://certs/prod/d.pem#0",
    ]);
  });

  it("filters by source, host, service and severity, for rows and alarms alike", () => {
    // Prepare
    const page = model(
      [
        certificate("a", 1),
        certificate("b", 2, { group: "s3://certs/stage/" }),
        certificate("c", 3, { location: { host: "other", service: "zk" } }),
      ],
      [
        alarm("s3://certs/prod/a.pem#0", "major", at(-1), { location: { host: "a.host", service: "kafka" } }),
        alarm("s3://certs/prod/c.pem#0", "minor", at(-1), { location: { host: "other", service: "zk" } }),
      ],
    );
    const subjects = (query: Record<string, unknown>) =>
      pageView(page, parsePageQuery(query)).matching.map((r) => r.subject);

    // Act / Assess
    expect(subjects({ source: "s3://certs/stage/" })).toEqual(["CN=b"]);
    expect(subjects({ host: "other" })).toEqual(["CN=c"]);
    expect(subjects({ service: "kafka" })).toEqual(["CN=a", "CN=b"]);
    expect(subjects({ severity: "major" })).toEqual(["CN=a"]);
    expect(pageView(page, parsePageQuery({ severity: "minor" })).alarms.map((a) => a.source)).toEqual([
      "s3://certs/prod/c.pem#0",
    ]);
    expect(pageView(page, parsePageQuery({})).choices).toEqual({
      source: ["s3://certs/prod/", "s3://certs/stage/"],
      host: ["a.host", "b.host", "other"],
      service: ["kafka", "zk"],
    });
  });
});

describe("a filter chosen on the page", () => {
  // What HTML would not hand back unchanged in an attribute, and what the page shows as escapes.
  it.each([
    ["plain", "node1.example.com"],
    ["with a carriage return and a line feed", "node1\r\nexample"],
    ["with a NUL", "node1\u0000.example.com"],
    ["with a zero-width space", "exa\u200bmple.com"],
    ["with a right-to-left override", "moc.elpmaxe\u202e"],
    ["with a lone surrogate", "node\ud800.example.com"],
    ["that starts like an encoded value", "~b64~bm9kZQ"],
    ["longer than 512 characters", `${"a".repeat(1_500)}.example.com`],
    ["with markup and quotes", `"><script>x</script>'&amp;`],
  ])("comes back as the same filter when its value is %s", (_, host) => {
    // Prepare: the host among others, and the form field it offers
    const page = model([
      certificate("target", 10, { location: { host } }),
      certificate("other", 20, { location: { host: "other.example.com" } }),
    ]);
    const html = renderCertificatePage(page, {
      title: "T",
      query: parsePageQuery({}),
      actionEndpoint: ENDPOINT,
    });
    const offered = optionValues(html, "host").filter((v) => v !== "" && v !== "other.example.com");

    // Act: the operator picks it and the widget posts the form back
    const query = parsePageQuery({ host: offered[0] });
    const again = renderCertificatePage(page, { title: "T", query, actionEndpoint: ENDPOINT });

    // Assess: that certificate only, and the field still shows the choice
    expect(offered).toHaveLength(1);
    expect(query.host).toBe(host);
    expect(pageView(page, query).matching.map((r) => r.subject)).toEqual(["CN=target"]);
    expect(optionValues(again, "host", { selected: true })).toEqual(offered);
  });

  it("drops a posted filter longer than any value it could match", () => {
    // Prepare
    const page = model([certificate("a", 10), certificate("b", 20)]);

    // Act
    const view = pageView(page, parsePageQuery({ host: "h".repeat(4_097) }));

    // Assess
    expect(view.matching.map((r) => r.subject)).toEqual(["CN=a", "CN=b"]);
  });
});

describe("order and summary", () => {
  it("orders by expiry, then by source where expiry ties, a date that does not parse last", () => {
    // Prepare: c and a expire at the same instant, b sooner; x has no readable date
    const page = model([
      certificate("x", 5, { notAfter: "not a date" }),
      certificate("c", 10),
      certificate("a", 10),
      certificate("b", 3),
      certificate("d", 10.0001),
    ]);

    // Act
    const view = pageView(page, parsePageQuery({}));

    // Assess
    expect(view.matching.map((r) => r.subject)).toEqual(["CN=b", "CN=a", "CN=c", "CN=d", "CN=x"]);
  });

  it.each([
    ["within a few days", at(10)],
    ["over centuries, sorted the other way", "9999-12-31T23:59:59.000Z"],
  ])("keeps that order for dates spread %s, to the millisecond within a second", (_, farthest) => {
    // Prepare: z and y share a second, y half a second sooner; w and v share the instant
    const tenDays = NOW.getTime() + 9 * DAY;
    const iso = (ms: number) => new Date(ms).toISOString();
    const page = model([
      certificate("far", 0, { notAfter: farthest }),
      certificate("z", 0, { notAfter: iso(tenDays + 900) }),
      certificate("y", 0, { notAfter: iso(tenDays + 400) }),
      certificate("w", 0, { notAfter: iso(tenDays) }),
      certificate("v", 0, { notAfter: iso(tenDays) }),
      certificate("old", 0, { notAfter: "1950-01-01T00:00:00.000Z" }),
      certificate("bad", 0, { notAfter: "never" }),
    ]);

    // Act
    const subjects = pageView(page, parsePageQuery({})).matching.map((r) => r.subject);

    // Assess
    expect(subjects).toEqual(["CN=old", "CN=v", "CN=w", "CN=y", "CN=z", "CN=far", "CN=bad"]);
  });

  it("counts expired and expiring rows and fills the timeline from the rows matching the filters", () => {
    // Prepare: expired, expiring within 30 days, later within the 90 days, beyond them
    const page = model([
      certificate("old", -2),
      certificate("soon", 5, { location: { host: "h2" } }),
      certificate("month", 20),
      certificate("later", 60, { location: { host: "h2" } }),
      certificate("far", 200),
      certificate("early", 40, { notBefore: at(1) }),
    ]);
    const summary = (query: Record<string, unknown>) => {
      const view = pageView(page, parsePageQuery(query));
      return {
        expired: view.summary.expired,
        expiring: view.summary.expiring,
        weeks: view.summary.timeline.map((b) => b.count),
      };
    };

    // Act / Assess
    expect(summary({})).toEqual({
      expired: 1,
      expiring: 2,
      weeks: [1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0],
    });
    expect(summary({ host: "h2" })).toEqual({
      expired: 0,
      expiring: 1,
      weeks: [0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
    });
    expect(summary({ host: "nowhere" })).toEqual({
      expired: 0,
      expiring: 0,
      weeks: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
  });
});

describe("paging and the widget's buttons", () => {
  const many = model(Array.from({ length: 120 }, (_, i) => certificate(`c${String(i).padStart(3, "0")}`, i)));

  it("pages the rows and calls the widget back with the previous and next page", () => {
    // Act
    const html = renderCertificatePage(many, {
      title: "T",
      query: parsePageQuery({ page: 2 }),
      actionEndpoint: ENDPOINT,
    });

    // Assess
    expect(tableRows(html, "certificates").map((r) => r[0])).toEqual(
      Array.from({ length: 50 }, (_, i) => `CN=c${String(i + 50).padStart(3, "0")}`),
    );
    expect(html).toContain("Certificates by days left (51–100 of 120)");
    expect(callActions(html)).toEqual([{ page: 1 }, { page: 1 }, { page: 3 }]);
    expect(html).toContain(`<cwdb-action action="call" display="widget" endpoint="${ENDPOINT}">`);
    expect(html).toContain('<option value="50" selected>50</option>');
  });

  it("clamps a page past the end to the last, which has no Next button", () => {
    // Act
    const html = renderCertificatePage(many, {
      title: "T",
      query: parsePageQuery({ page: 9 }),
      actionEndpoint: ENDPOINT,
    });

    // Assess
    expect(html).toContain("Certificates by days left (101–120 of 120)");
    expect(callActions(html)).toEqual([{ page: 1 }, { page: 2 }]);
  });

  it("has no buttons or form in a file, and says which page and filters it shows", () => {
    // Act
    const html = renderCertificatePage(many, {
      title: "T",
      query: parsePageQuery({ page: 3, severity: "minor", host: "a<b" }),
    });

    // Assess
    expect(callActions(html)).toEqual([]);
    expect(html).not.toContain("<form");
    expect(html).toContain(
      '<p class="filters">Filtered by host <code>a&lt;b</code>, severity <code>minor</code></p>',
    );
    expect(html).toContain("No certificate matches.");
  });

  it("writes a button's parameters so no markup can end the element early", () => {
    // Prepare: a chosen filter value offered back in the form
    const page = model([certificate("a", 1, { group: 'x</cwdb-action><b>"' })]);

    // Act
    const html = renderCertificatePage(page, {
      title: "T",
      query: parsePageQuery({ source: 'x</cwdb-action><b>"' }),
      actionEndpoint: ENDPOINT,
    });

    // Assess
    expect(html).toContain('<option value="x&lt;/cwdb-action&gt;&lt;b&gt;&quot;" selected>');
    expect(html).not.toContain("<b>");
  });
});

describe("budgets", () => {
  it("lists at most a hundred alarms and says how many more there are", () => {
    // Prepare
    const alarms = Array.from({ length: MAX_ALARM_ROWS + 5 }, (_, i) =>
      alarm(`s3://x/${i}#0`, "minor", at(-1)),
    );

    // Act
    const html = renderCertificatePage(model([], alarms), { title: "T", query: parsePageQuery({}) });

    // Assess
    expect(tableRows(html, "alarms")).toHaveLength(MAX_ALARM_ROWS);
    expect(html).toContain("<h3>Active alarms (105)</h3>");
    expect(html).toContain("and 5 more; narrow them down with the filters.");
  });

  it("keeps a page of crafted rows under its size, saying how many rows it left out", () => {
    // Prepare: every field at its cut, made of characters that escape to five or six bytes
    const crafted = "<&".repeat(2_000);
    const rows = Array.from({ length: 200 }, (_, i) =>
      certificate(`c${i}`, i, {
        subject: crafted,
        issuer: crafted,
        location: {
          bucket: crafted,
          key: crafted,
          host: crafted,
          path: crafted,
          service: crafted,
          cluster: crafted,
        },
      }),
    );

    // Act
    const html = renderCertificatePage(model(rows), { title: "T", query: parsePageQuery({ pageSize: 200 }) });

    // Assess
    expect(Buffer.byteLength(html)).toBeLessThan(1_000_000);
    const shown = tableRows(html, "certificates").length;
    expect(shown).toBeLessThan(200);
    expect(html).toContain(
      `${200 - shown} rows of this page are not shown: their text is too long for one page. Choose fewer rows per page.`,
    );
  });
});
