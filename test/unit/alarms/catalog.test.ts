import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alarmsCommand } from "../../../bin/cli/alarms";
import { type CliIo, UsageError } from "../../../bin/cli/io";
import { ALARM_IDS } from "../../../functions/core/alarm-ids";
import { ALARM_CATALOG, alarmDefinition } from "../../../functions/core/alarms/catalog";
import { CheckName, EXIT } from "../../../functions/core/contracts";
import { REPO_ROOT } from "../../support/paths";

const ALARM_DOCS = join(REPO_ROOT, "docs", "alarms");

function section(page: string, title: string): string {
  const match = page.match(new RegExp(`^## ${title}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, "m"));
  return match?.[1]?.trim() ?? "";
}

function attributes(page: string): Record<string, string> {
  const rows = section(page, "Attributes")
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const [header, , values] = rows;
  return Object.fromEntries((header ?? []).map((name, i) => [name, values?.[i] ?? ""]));
}

/** The installed command as a user runs it (exit status included). */
function watchpost(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "bin", "watchpost.ts"), ...args],
      { cwd: REPO_ROOT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

function capture(): { io: CliIo; out: () => string } {
  const out: string[] = [];
  return {
    io: { stdout: (t) => out.push(t), stderr: () => {}, env: {}, isTTY: false, cwd: REPO_ROOT },
    out: () => out.join(""),
  };
}

describe("alarm catalog", () => {
  it("has one entry per check, with the stable IDs and default severities", () => {
    // Prepare
    const checks = CheckName.options;

    // Act
    const entries = checks.map((check) => alarmDefinition(check));

    // Assess
    expect(ALARM_CATALOG).toHaveLength(23);
    expect(entries.map((e) => [e.check, e.id])).toEqual(checks.map((c) => [c, ALARM_IDS[c]]));
    expect(new Set(ALARM_CATALOG.map((e) => e.id)).size).toBe(23);
    for (const entry of ALARM_CATALOG) {
      expect(entry.doc).toBe(`docs/alarms/${entry.id}.md`);
      expect(entry.autoClear).toBe(true);
      expect(entry.parameters.map((p) => p.name)).toContain("Source");
      expect(entry.handlingProcedure.length).toBeGreaterThanOrEqual(3);
    }
  });

  it("has a runbook page for every entry and an entry for every page", () => {
    // Prepare
    const pages = readdirSync(ALARM_DOCS).filter((name) => name !== "README.md");

    // Act
    const pageIds = pages.map((name) => name.replace(/\.md$/, "")).sort();

    // Assess
    expect(pageIds).toEqual(ALARM_CATALOG.map((e) => e.id).sort());
  });

  it.each(ALARM_CATALOG.map((e) => [e.id, e] as const))(
    "runbook %s states the catalog's attributes and every section an operator needs",
    (_id, entry) => {
      // Prepare
      const page = readFileSync(join(REPO_ROOT, entry.doc), "utf8");

      // Act
      const attrs = attributes(page);

      // Assess
      expect(page.split("\n").find((line) => line.startsWith("# "))).toBe(`# ${entry.id} ${entry.title}`);
      expect(attrs).toEqual({
        "Alarm ID": entry.id,
        Severity: entry.severity.charAt(0).toUpperCase() + entry.severity.slice(1),
        "Auto Clear": entry.autoClear ? "Yes" : "No",
      });
      for (const title of [
        "Description",
        "Parameters",
        "Impact on the System",
        "Possible Causes",
        "Alarm Clearance",
      ]) {
        expect(section(page, title), title).not.toBe("");
      }
      const parameterNames = section(page, "Parameters")
        .split("\n")
        .filter((line) => line.startsWith("|"))
        .map((line) => line.split("|")[1]!.trim());
      expect(parameterNames.slice(2)).toEqual(entry.parameters.map((p) => p.name));
      const steps = section(page, "Handling Procedure").match(/^\d+\. .+$/gm) ?? [];
      expect(steps.length).toBe(entry.handlingProcedure.length);
      expect(
        steps.filter((step) => /`(openssl|aws|watchpost|timedatectl|dig|curl) [^`]+`/.test(step)).length,
      ).toBeGreaterThan(1);
      expect(section(page, "Handling Procedure")).toMatch(/`watchpost (scan|probe|check-credentials|push) /);
    },
  );

  it("lists every alarm in the runbook index", () => {
    // Prepare
    const index = readFileSync(join(ALARM_DOCS, "README.md"), "utf8");

    // Act
    const linked = [...index.matchAll(/\[(\d+)\]\((\d+)\.md\)/g)].map((m) => m[1]);

    // Assess
    expect(linked).toEqual(ALARM_CATALOG.map((e) => e.id));
  });
});

describe("watchpost alarms catalog", () => {
  it("prints the catalog as JSON", async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await alarmsCommand(["catalog", "--format", "json"], io);

    // Assess
    expect(code).toBe(EXIT.ok);
    const rows = JSON.parse(out()) as Record<string, unknown>[];
    expect(rows).toHaveLength(23);
    expect(rows[0]).toEqual({
      id: "1001",
      title: "Certificate expired",
      check: "expired",
      severity: "critical",
      autoClear: true,
      doc: "docs/alarms/1001.md",
    });
  });

  it("prints a table with one line per alarm", async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await alarmsCommand(["catalog"], io);

    // Assess
    expect(code).toBe(EXIT.ok);
    const lines = out().trimEnd().split("\n");
    expect(lines).toHaveLength(24);
    expect(lines[0]).toMatch(/^ID\s+SEVERITY\s+AUTO CLEAR\s+CHECK\s+TITLE\s+RUNBOOK$/);
    expect(lines.find((l) => l.startsWith("2001"))).toMatch(/Major\s+yes\s+credentials-unobtainable/);
    expect(lines.find((l) => l.startsWith("1050"))).toMatch(
      /Major\s+yes\s+renewal-ineligible\s+ACM will not renew a certificate by itself/,
    );
    expect(lines.find((l) => l.startsWith("1040"))).toMatch(
      /Major\s+yes\s+peer-refused\s+A cluster peer will refuse/,
    );
  });

  it.each([
    [["catalog", "--format", "xml"], /--format takes 'table' or 'json', not 'xml'/],
    [["catalog", "--colour"], /Unknown option/],
    [["list"], /unknown sub-command 'list'/],
    [[], /expected 'catalog'/],
  ])("rejects a usage mistake: %j", async (argv, message) => {
    // Prepare
    const { io, out } = capture();

    // Act
    const outcome = alarmsCommand(argv, io);

    // Assess
    await expect(outcome).rejects.toThrow(UsageError);
    await expect(outcome).rejects.toThrow(message);
    expect(out()).toBe("");
  });

  it("is wired into the watchpost command: JSON on success, exit 3 on a bad option", async () => {
    // Act
    const [ok, bad] = await Promise.all([
      watchpost(["alarms", "catalog", "--format", "json"]),
      watchpost(["alarms", "catalog", "--format", "yaml"]),
    ]);

    // Assess
    expect(ok.code).toBe(EXIT.ok);
    expect((JSON.parse(ok.stdout) as { id: string }[]).map((row) => row.id)).toEqual(
      ALARM_CATALOG.map((e) => e.id),
    );
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("watchpost alarms: --format takes 'table' or 'json', not 'yaml'");
  });
});
