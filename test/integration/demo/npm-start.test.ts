/**
 * `npm start` the way users run it: a child process from the repository root, with no AWS account
 * and nothing but what `npm ci` installed. Asserts on what an operator reads, and that the process
 * ends on its own (a server left listening would keep it alive past the timeout).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tableRows } from "../../support/page-html";
import { REPO_ROOT } from "../../support/paths";
import { chain, DAY, issue } from "../../support/pki";

/** Generous: a loaded machine may take minutes; how fast it runs is measured in npm run bench. */
const TIMEOUT_MS = 600_000;
const temporary: string[] = [];

afterAll(async () => {
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * The environment a user runs in: without the test run's Powertools settings and SDK warning
 * switch (vitest.config.ts), so npm start has to quiet the SDK itself (bin/quiet-sdk-warning.ts).
 */
function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith("POWERTOOLS_") && name !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
    ),
  );
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function npmStart(...args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["start", "--", ...args],
      {
        cwd: REPO_ROOT,
        env: { ...userEnvironment(), NO_COLOR: "1" },
        timeout: TIMEOUT_MS - 5000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** The lines of a section: from the line starting with `title` to the next blank line. */
function section(output: string, title: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.startsWith(title));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.trim() === "");
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The part of the output under a "== Step N" heading. */
function step(output: string, n: number): string {
  const parts = output.split(/^== /m);
  return parts.find((part) => part.startsWith(`Step ${n}:`)) ?? "";
}

describe("npm start", () => {
  it(
    "runs the real handlers on the embedded sample and shows findings, raised and cleared events, and how to deploy",
    async () => {
      // Act
      const run = await npmStart();

      // Assess
      expect(run.code, run.stderr).toBe(0);
      // Nothing on stderr: no 7-line NodeVersionSupportWarning from the AWS SDK on Node 20.
      expect(run.stderr).not.toContain("NodeVersionSupportWarning");
      // The README walks through the same steps, under the same headings.
      const headings = [...run.stdout.matchAll(/^== (Step \d+: .+?) =+$/gm)].map((m) => m[1]);
      const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
      const documented = [...readme.matchAll(/^- \*\*(Step \d+: [^*]+)\*\*/gm)].map((m) => m[1]);
      expect(headings).toHaveLength(9);
      expect(documented).toEqual(headings);
      const out = run.stdout;
      const bucket = "s3://watchpost-demo-certs";

      const findings = section(out, "FINDINGS: the alarm state table after the scan");
      const row = (check: string, source: string) =>
        findings.find((line) => line.includes(` ${check} `) && line.includes(source));
      expect(row("expired", `${bucket}/certs/expired.pem#0`)).toMatch(/^critical\s+1001\s+expired\s+raised/);
      expect(row("not-yet-valid", `${bucket}/certs/not-yet-valid.pem#0`)).toMatch(/^critical\s+1003/);
      expect(row("hostname-mismatch", "peer-group:etcd/etcd-3.demo.example#0")).toMatch(/^major\s+1004/);
      expect(row("untrusted-chain", `${bucket}/certs/untrusted.pem#0`)).toMatch(/^major\s+1005/);
      expect(row("unreadable", `${bucket}/certs/corrupt.pem`)).toMatch(/^major\s+1007/);
      expect(row("expiring", `${bucket}/certs/expiring.pem#0`)).toMatch(/^minor\s+1002/);
      expect(findings.join("\n")).not.toMatch(/healthy\.pem|peer-group:etcd\/etcd-[146]\.demo/);
      // The Flink host's keystore, written by keytool and carried to the bucket by watchpost push.
      const keystore = `${bucket}/hosts/flink01.demo.example/opt/flink/ha/local/cert/flink.keystore`;
      expect(out).toContain("(a JKS keystore written by keytool)");
      expect(out).toContain(
        "  $ watchpost push /opt/flink/ha/local/cert --to s3://watchpost-demo-certs/hosts/ --host flink01.demo.example --service flink --every 5m",
      );
      expect(out.split("== Step 1")[0]).toMatch(
        /^ {6}uploaded {2}\/opt\/flink\/ha\/local\/cert\/flink\.keystore\n\n {4}1 uploaded, 0 unchanged, 0 skipped, 0 failed$/m,
      );
      expect(row("expired", `${keystore}#0`)).toMatch(/^critical\s+1001\s+expired\s+raised/);
      const where =
        "      where: HostName: flink01.demo.example · ServiceName: flink · Cluster: demo · HostPath: /opt/flink/ha/local/cert/flink.keystore";
      const keystoreRaised = `event on bus "watchpost": Alarm Raised | critical | 1001 expired | ${keystore}#0`;
      const keystoreCleared = `event on bus "watchpost": Alarm Cleared | critical | 1001 expired | ${keystore}#0`;
      const eventLines = (part: string, first: string) => {
        const lines = part.split("\n");
        const at = lines.findIndex((line) => line.endsWith(first));
        return at < 0
          ? []
          : lines.slice(at, lines.findIndex((line, i) => i > at && line.includes("runbook:")) + 1);
      };
      expect(eventLines(step(out, 1), keystoreRaised)).toContain(where);
      // The keystore password is the source's secret: never printed.
      expect(out).not.toMatch(/-storepass|"password"/i);

      const raised = `event on bus "watchpost": Alarm Raised | critical | 1001 expired | ${bucket}/certs/expired.pem#0`;
      const cleared = `event on bus "watchpost": Alarm Cleared | critical | 1001 expired | ${bucket}/certs/expired.pem#0`;
      expect(step(out, 1)).toContain(raised);
      expect(step(out, 2)).toContain(cleared);
      expect(step(out, 2)).toContain('"detail-type":"Object Created"');
      expect(step(out, 2).match(/Alarm (Raised|Cleared)/g)).toEqual(["Alarm Cleared"]);
      const pushed = step(out, 3);
      expect(pushed).toMatch(/^ {6}uploaded {2}\/opt\/flink\/ha\/local\/cert\/flink\.keystore$/m);
      expect(pushed).toContain(
        '"object":{"key":"hosts/flink01.demo.example/opt/flink/ha/local/cert/flink.keystore"}',
      );
      expect(pushed.match(/Alarm (Raised|Cleared)/g)).toEqual(["Alarm Cleared"]);
      expect(eventLines(pushed, keystoreCleared)).toContain(where);
      expect(step(out, 5)).toContain("(no alarm event)");
      // The keystore's verdict is remembered with its ETag: the next scan does not download it.
      expect(step(out, 5)).not.toMatch(/GetObject[^=]*flink\.keystore/);

      const links = [...out.matchAll(/runbook: (\S+)/g)].map((m) => m[1]!);
      expect(new Set(links)).toEqual(
        new Set(
          [
            "1001",
            "1002",
            "1003",
            "1004",
            "1005",
            "1007",
            "1008",
            "1020",
            "1021",
            "1040",
            "1050",
            "2002",
          ].map((id) => `docs/alarms/${id}.md`),
        ),
      );
      for (const link of links) expect(existsSync(join(REPO_ROOT, link)), link).toBe(true);
      // Every event line is followed (after its message) by its runbook line.
      const events = out.split("\n").filter((line) => line.includes('event on bus "watchpost"'));
      expect(events.length).toBe(links.length);

      // Six etcd members, each with its own truststore: etcd-4's lacks the CA of etcd-2's renewed
      // certificate, and etcd-5's was re-issued for serverAuth only. One alarm per refused
      // certificate, naming the peers that refuse it; etcd-4's updated truststore clears etcd-2's.
      const etcd = (n: number) => `peer-group:etcd/etcd-${n}.demo.example`;
      expect(row("peer-refused", etcd(2))).toMatch(/^major\s+1040\s+peer-refused\s+raised/);
      expect(row("peer-refused", etcd(5))).toMatch(/^major\s+1040\s+peer-refused\s+raised/);
      expect(findings.filter((line) => line.includes(" peer-refused "))).toHaveLength(2);
      expect(row("peer-refused", etcd(2))).toContain(
        "etcd-4.demo.example will refuse etcd-2.demo.example's certificate: it chains to 'Demo Ops CA 2', which etcd-4.demo.example's trust store (s3://watchpost-demo-certs/trust/etcd-4.pem) does not hold.",
      );
      expect(row("peer-refused", etcd(5))).toContain(
        "etcd-1.demo.example, etcd-2.demo.example, etcd-3.demo.example, etcd-4.demo.example and etcd-6.demo.example will refuse etcd-5.demo.example's certificate when etcd-5.demo.example connects to them (TLS client role): its extendedKeyUsage allows serverAuth only, not clientAuth",
      );
      const matrix = (part: string) => {
        const lines = part.split("\n");
        const at = lines.findIndex((line) => line.startsWith("  PRESENTS \\ TRUSTS"));
        return lines.slice(at + 1, at + 7).map((line) =>
          line
            .trim()
            .split(/\s{2,}/)
            .slice(1)
            .join(" | "),
        );
      };
      const ok = "ok";
      const client = "REFUSED as client";
      expect(matrix(step(out, 1))).toEqual([
        ["-", ok, ok, ok, ok, ok].join(" | "),
        [ok, "-", ok, "REFUSED", ok, ok].join(" | "),
        [ok, ok, "-", ok, ok, ok].join(" | "),
        [ok, ok, ok, "-", ok, ok].join(" | "),
        [client, client, client, client, "-", client].join(" | "),
        [ok, ok, ok, ok, ok, "-"].join(" | "),
      ]);
      expect(step(out, 1)).toContain(
        "  etcd-5.demo.example  Certificate: Invalid (certificate is not allowed for TLS client authentication)",
      );
      expect(step(out, 1)).toContain(
        "  etcd-3.demo.example  Certificate: Invalid (Common Name in certificate does not match)",
      );
      const truststore = step(out, 4);
      expect(truststore).toContain('"object":{"key":"trust/etcd-4.pem"}');
      expect(truststore.match(/Alarm (Raised|Cleared).*/g)).toEqual([
        `Alarm Cleared | major | 1040 peer-refused | ${etcd(2)}`,
      ]);
      expect(matrix(truststore)[1]).toBe([ok, "-", ok, ok, ok, ok].join(" | "));
      expect(truststore).toContain("  etcd-2.demo.example  Certificate: Valid");

      // A live service still serving the old certificate after its renewal on disk: raised, then
      // cleared by the scan after the reload (the TLS server's setSecureContext).
      const live = step(out, 6);
      const endpoint = /tls:\/\/(127\.0\.0\.1:\d+)#0/.exec(live)?.[1];
      expect(endpoint).toBeDefined();
      const [stale, reloaded] = live.split("The service is reloaded");
      expect(stale).toContain(
        `event on bus "watchpost": Alarm Raised | major | 1008 served-mismatch | tls://${endpoint}#0`,
      );
      expect(stale).toMatch(/renewed on disk but the service at 127\.0\.0\.1:\d+ still serves the old\s+one/);
      expect(stale).toContain(
        `event on bus "watchpost": Alarm Raised | minor | 1002 expiring | tls://${endpoint}#0`,
      );
      expect(reloaded).toContain(
        `event on bus "watchpost": Alarm Cleared | major | 1008 served-mismatch | tls://${endpoint}#0`,
      );
      expect(reloaded).toContain(
        `event on bus "watchpost": Alarm Cleared | minor | 1002 expiring | tls://${endpoint}#0`,
      );
      expect(reloaded?.match(/Alarm Raised/g)).toBeNull();
      // Where the service lives, as for the host's keystore: the endpoint's location parameters.
      expect(
        eventLines(stale ?? "", `Alarm Raised | major | 1008 served-mismatch | tls://${endpoint}#0`),
      ).toContain("      where: HostName: api.demo.example · ServiceName: demo API server · Cluster: demo");

      // The summary counts what the scan function itself returned, not what the sample put there.
      const returned = /function returned (\{.*\})$/m.exec(step(out, 1))?.[1];
      const { objects } = JSON.parse(returned ?? "{}") as { objects: { downloaded: number; reused: number } };
      expect(out).toContain(
        `The scheduled scan judged ${objects.downloaded + objects.reused} objects and raised`,
      );

      const credentials = step(out, 7);
      expect(credentials).toContain(
        'event on bus "watchpost": Alarm Raised | major | 2002 credentials-rejected | credentials:spark-prod',
      );
      expect(credentials).toContain("InvalidAccessKeyId");
      expect(credentials).not.toMatch(/Alarm Raised .*credentials:hbase-prod/);
      expect(
        section(out, "FINDINGS: credential targets in the alarm state table after run 1").join("\n"),
      ).toMatch(/^major\s+2002\s+credentials-rejected\s+tracking 1\/2\s+credentials:spark-prod/m);
      expect(
        section(out, "FINDINGS: credential targets in the alarm state table after run 2").join("\n"),
      ).toMatch(/^major\s+2002\s+credentials-rejected\s+raised\s+credentials:spark-prod/m);

      // Wrapped to the terminal's width: compared as running text.
      const summary = (out.split(/^== Summary =+$/m)[1] ?? "").replace(/\s+/g, " ").trim();
      expect(summary).toMatch(
        /^What you saw: watchpost's own certificate-scan, endpoint-scan and credential-check functions/m,
      );
      expect(summary).toContain('"npx cdk deploy"');
      expect(summary).toContain("watchpost.config.json");
      expect(summary).toContain("--config FILE --certs DIR");
      expect(summary).toContain("carried to the bucket by watchpost push, cleared 1 alarm");
      expect(summary).toContain(
        "raised 2 peer-refused alarms (a certificate from a CA one truststore lacks, a certificate allowed for serverAuth only), and giving etcd-4's truststore the new CA cleared 1;",
      );
      expect(summary).toContain(
        "every push left a heartbeat: a host clock 10 minutes ahead raised host-clock-skew within seconds of its push, two hours without a push raised 2 host-silent alarms, the next push cleared 1, and deleting the other host's heartbeat retired it (2 alarms cleared).",
      );

      // Certificates kept in ACM and Secrets Manager: raised with where they are, then cleared.
      const stored = step(out, 8);
      const acmArn = "arn:aws:acm:eu-west-1:111122223333:certificate/0c6e3b5f-8d1a-4c1e-9f6a-2b7d5e0a1c93";
      const secretArn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tls/kafka-broker-Xy12Ab";
      expect(stored.match(/Alarm (Raised|Cleared) \| \w+ \| \d+ [\w-]+ \| \S+/g)).toEqual([
        `Alarm Raised | major | 1050 renewal-ineligible | ${acmArn}`,
        `Alarm Raised | major | 1002 expiring | ${secretArn}#0`,
        `Alarm Cleared | major | 1050 renewal-ineligible | ${acmArn}`,
        `Alarm Cleared | major | 1002 expiring | ${secretArn}#0`,
      ]);
      expect(stored).toContain("Account: 111122223333");
      expect(stored).toContain(`aws secretsmanager describe-secret --secret-id ${secretArn} --region`);
      expect(stored).not.toContain("PRIVATE KEY");
      expect(summary).toContain(
        "raised renewal-ineligible and expiring (each naming its account, region and ARN; the secret's private key appears nowhere), and once ACM could renew it and the secret held a renewed certificate, the next scan cleared 2.",
      );

      // Hosts: a clock ten minutes ahead, two hours of silence, a push that clears, a retirement.
      const hosts = step(out, 9);
      const heartbeat = (host: string) => `${bucket}/hosts/${host}/.watchpost-heartbeat.json`;
      const [pushes, quiet, again, retiring] = hosts.split(
        /^(?=The host check, as it runs|flink01\.demo\.example's timer runs again|flink02\.demo\.example is decommissioned)/m,
      );
      expect(pushes?.match(/Alarm (Raised|Cleared) \| \w+ \| \d+ [\w-]+ \| \S+/g)).toEqual([
        `Alarm Raised | major | 1021 host-clock-skew | ${heartbeat("flink02.demo.example")}`,
      ]);
      expect(pushes).toMatch(/^ {6}clock {5}this host's clock is (9 min 59|10 min [01]) s ahead of S3's/m);
      expect(quiet?.match(/Alarm (Raised|Cleared) \| \w+ \| \d+ [\w-]+ \| \S+/g)).toEqual([
        `Alarm Raised | major | 1020 host-silent | ${heartbeat("flink01.demo.example")}`,
        `Alarm Raised | major | 1020 host-silent | ${heartbeat("flink02.demo.example")}`,
      ]);
      expect(again?.match(/Alarm (Raised|Cleared) \| \w+ \| \d+ [\w-]+ \| \S+/g)).toEqual([
        `Alarm Cleared | major | 1020 host-silent | ${heartbeat("flink01.demo.example")}`,
      ]);
      expect(retiring?.match(/Alarm (Raised|Cleared) \| \w+ \| \d+ [\w-]+ \| \S+/g)).toEqual([
        `Alarm Cleared | major | 1021 host-clock-skew | ${heartbeat("flink02.demo.example")}`,
        `Alarm Cleared | major | 1020 host-silent | ${heartbeat("flink02.demo.example")}`,
      ]);
      expect(section(retiring ?? "", "FINDINGS: hosts in the alarm state table (0)")).toEqual(["none"]);
      expect(out).toContain("every local server is stopped");

      // The certificate page, written by the widget's own code from the local tables.
      const pageSection = (out.split(/^== The certificate page =+$/m)[1] ?? "").split(/^== /m)[0]!;
      const pagePath = /^ {2}(\/\S+\/certificates\.html)$/m.exec(pageSection)?.[1];
      expect(pagePath, pageSection).toBeDefined();
      temporary.push(join(pagePath!, ".."));
      const page = readFileSync(pagePath!, "utf8");
      const certificates = tableRows(page, "certificates");
      expect(certificates.find((r) => r[1]!.startsWith(`${bucket}/certs/expiring.pem`))?.slice(5)).toEqual([
        "expiring",
        "minor 1002 runbook",
      ]);
      expect(
        certificates.find((r) => r[1]!.startsWith(`${bucket}/certs/not-yet-valid.pem`))?.slice(5),
      ).toEqual(["not yet valid", "critical 1003 runbook"]);
      // The active alarms after the run: the renewals and the reload cleared theirs.
      expect(
        tableRows(page, "alarms")
          .map((r) => r[1]!.split(" ")[0])
          .sort(),
      ).toEqual(["1002", "1003", "1004", "1005", "1007", "1040", "2002"]);
      expect(page).not.toContain("<script");
    },
    TIMEOUT_MS,
  );

  it(
    "points the same run at the user's own configuration and files",
    async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), "watchpost-npm-start-"));
      temporary.push(dir);
      const host = "api.example.com";
      const pki = await chain(host);
      const expired = await issue({
        subject: `CN=${host}`,
        dnsNames: [host],
        issuer: pki.intermediate,
        notBefore: new Date(Date.now() - 90 * DAY),
        notAfter: new Date(Date.now() - 2 * DAY),
      });
      await mkdir(join(dir, "certs", "trust"), { recursive: true });
      await mkdir(join(dir, "certs", "prod"), { recursive: true });
      await writeFile(join(dir, "certs", "trust", "ca.pem"), pki.root.pem);
      await writeFile(join(dir, "certs", "prod", "api.pem"), `${pki.leaf.pem}\n${pki.intermediate.pem}`);
      await writeFile(join(dir, "certs", "old.pem"), `${expired.pem}\n${pki.intermediate.pem}`);
      await writeFile(
        join(dir, "watchpost.config.json"),
        JSON.stringify({
          certificates: {
            sources: [{ prefix: "prod/", expectedHostnames: [host], caBundleKey: "trust/ca.pem" }],
          },
          credentials: {
            targets: [
              {
                name: "hbase-prod",
                roleArn: "arn:aws:iam::123456789012:role/hbase-agency",
                bucket: "cluster-data",
                region: "eu-west-1",
              },
            ],
          },
        }),
      );

      // Act
      const run = await npmStart(
        "--config",
        join(dir, "watchpost.config.json"),
        "--certs",
        join(dir, "certs"),
        "--page",
        join(dir, "page.html"),
      );

      // Assess
      expect(run.code, run.stderr).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(
        /^ {2}old\.pem\s+->\s+prod\/old\.pem {2}\(moved under the first source's prefix\)$/m,
      );
      expect(out).toMatch(/^ {2}prod\/api\.pem\s+->\s+prod\/api\.pem$/m);
      expect(out).toMatch(/^ {2}trust\/ca\.pem\s+->\s+trust\/ca\.pem$/m);
      expect(step(out, 1)).toContain(
        "Alarm Raised | critical | 1001 expired | s3://watchpost-certificates/prod/old.pem#0",
      );
      const findings = section(out, "FINDINGS: the alarm state table after the scan");
      expect(findings.slice(1).map((line) => line.split(/\s+/).slice(0, 3).join(" "))).toEqual([
        "critical 1001 expired",
      ]);
      expect(step(out, 2)).toContain("prod/old.pem is uploaded again, unchanged");
      expect(step(out, 4)).toContain("Not run: your 1 credential target (hbase-prod)");
      expect(out).toContain(`  ${join(dir, "page.html")}\n`);
      expect(tableRows(readFileSync(join(dir, "page.html"), "utf8"), "certificates")[0]!.slice(5)).toEqual([
        "expired",
        "critical 1001 runbook",
      ]);
      expect(out).toContain("npx cdk deploy");
    },
    TIMEOUT_MS,
  );

  it(
    "rejects bad arguments and an invalid configuration with exit status 3 and says why",
    async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), "watchpost-npm-start-bad-"));
      temporary.push(dir);
      await writeFile(join(dir, "bad.json"), JSON.stringify({ certificates: { sources: [] } }));
      await writeFile(join(dir, "cert.pem"), "not a certificate");

      // Act
      const [unknown, lonelyConfig, invalid] = await Promise.all([
        npmStart("--bogus"),
        npmStart("--config", join(dir, "bad.json")),
        npmStart("--config", join(dir, "bad.json"), "--certs", dir),
      ]);

      // Assess
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toContain("npm start: Unknown option '--bogus'");
      expect(unknown.stderr).toContain("usage: npm start");
      expect(lonelyConfig.code).toBe(3);
      expect(lonelyConfig.stderr).toContain("--config FILE needs --certs DIR");
      expect(invalid.code).toBe(3);
      expect(invalid.stderr).toContain("certificates.sources: expected at least one certificate source");
      for (const run of [unknown, lonelyConfig, invalid])
        expect(run.stdout).not.toContain("watchpost, run locally");
    },
    TIMEOUT_MS,
  );
});
