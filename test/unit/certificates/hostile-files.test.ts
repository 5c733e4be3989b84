/**
 * File names an operator's disk really holds: spaces, Unicode in both normal forms, '#', quotes,
 * control characters, names at the 255-byte limit, `..` in the path given, names that are not
 * UTF-8, and paths longer than the system allows. Through the local-files adapter and the CLI
 * scan: every file is either read (its certificate reported under exactly the name it has) or
 * reported once as unreadable with a reason that is true. None is lost, none is reported twice.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listFiles } from "../../../functions/adapters/local-files";
import { runCli } from "../../support/cli";
import { cn, craftCertificate } from "../../support/hostile-corpus";
import { pemOf } from "../../support/pki";

const NOW = "2030-01-01T00:00:00Z";

/** Names that are all legal on Linux; each file holds one certificate. */
const NAMES = [
  "with space.pem",
  "  leading and trailing spaces  .pem",
  "ünïcødé-証明書.pem",
  "cafe\u0301-nfd.pem", // "café" with a combining accent (NFD)
  "caf\u00e9-nfc.pem", // the same word precomposed (NFC): a different file
  "hash#1.pem",
  "-looks-like-an-option.pem",
  "quote\"and'apostrophe.pem",
  "back\\slash.pem",
  "new\nline.pem",
  "tab\there.pem",
  "emoji-🔐.pem",
  "..double-dot.pem",
  "...",
  `${"証".repeat(83)}.pem`, // 253 bytes of UTF-8: at the 255-byte limit of a name
  `${"n".repeat(251)}.pem`,
];

let root: string;
let pem: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "watchpost-names-"));
  pem = pemOf("CERTIFICATE", craftCertificate({ subject: [cn("names.example.com")] }));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function directoryOf(name: string, files: (string | Buffer)[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    await writeFile(
      typeof file === "string" ? join(dir, file) : Buffer.concat([Buffer.from(`${dir}/`), file]),
      pem,
    );
  }
  return dir;
}

interface Report {
  certificates: { source: string; subject: string }[];
  findings: { check: string; source: string; details: { reason?: string; detail?: string } }[];
}

async function scan(...paths: string[]): Promise<{ code: number; report: Report }> {
  const { code, stdout, stderr } = await runCli(["scan", ...paths, "--format", "json", "--now", NOW]);
  expect(stderr).toBe("");
  return { code, report: JSON.parse(stdout) as Report };
}

describe("file names through the CLI scan", () => {
  it("reads every file of a directory of odd names, each under exactly its own name", async () => {
    // Prepare
    const dir = await directoryOf("odd", NAMES);

    // Act
    const { code, report } = await scan(dir);

    // Assess
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    const sources = report.certificates.map((c) => c.source);
    expect(sources.sort()).toEqual(NAMES.map((name) => `${join(dir, name)}#0`).sort());
    expect(report.certificates.every((c) => c.subject === "CN=names.example.com")).toBe(true);
  });

  it("reads files named one by one, in the order given, each once", async () => {
    // Prepare
    const dir = await directoryOf("named", NAMES);
    const paths = NAMES.map((name) => join(dir, name)).reverse();

    // Act
    const { report } = await scan(...paths, ...paths);

    // Assess
    expect(report.findings).toEqual([]);
    expect(report.certificates.map((c) => c.source)).toEqual(paths.map((path) => `${path}#0`));
  });

  it("keeps `..` and relative paths as the operator typed them", async () => {
    // Prepare
    const dir = await directoryOf("dots/inner", ["cert.pem"]);
    const typed = `${root}/dots/inner/../inner/cert.pem`;
    const fromCwd = relative(process.cwd(), join(dir, "cert.pem"));

    // Act
    const { report } = await scan(typed, fromCwd);

    // Assess
    expect(fromCwd.startsWith("..")).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.certificates.map((c) => c.source)).toEqual([`${typed}#0`, `${fromCwd}#0`]);
  });

  it("reports a name that is not UTF-8 once, as such, and reads the files beside it", async () => {
    // Prepare: "résumé.pem" written in Latin-1 by an old tool
    const latin1 = Buffer.from("r\xe9sum\xe9.pem", "latin1");
    const dir = await directoryOf("latin1", [latin1, "fine.pem"]);

    // Act
    const { code, report } = await scan(dir);

    // Assess
    expect(code).toBe(2);
    expect(report.certificates.map((c) => c.source)).toEqual([`${join(dir, "fine.pem")}#0`]);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      check: "unreadable",
      source: join(dir, "r\\xe9sum\\xe9.pem"),
      details: { reason: "io-error" },
    });
    expect(report.findings[0]?.details.detail).toContain("the name is not valid UTF-8");
    expect(report.findings[0]?.details.detail).not.toContain("no such file");
  });
});

describe("paths longer than the system allows", () => {
  it("reports the directory it cannot enter with the reason, not as an input/output error", async () => {
    // Prepare: 45 nested 101-character directories (over 4,096 bytes), made by a shell that
    // walks into each one, because no single path to the bottom is short enough for mkdir.
    const base = await directoryOf("deep", ["top.pem"]);
    const segment = `d${"x".repeat(100)}`;
    execFileSync("bash", [
      "-c",
      `cd "$1" && for i in $(seq 1 45); do mkdir "${segment}" && cd "${segment}"; done && printf x > deep.pem`,
      "bash",
      base,
    ]);

    // Act
    const listed = await listFiles([base]).finally(() => {
      // Node's rm cannot reach the bottom either; GNU rm walks down relative to each directory.
      execFileSync("rm", ["-rf", "--", join(base, segment)]);
    });

    // Assess
    expect(listed.files).toEqual([join(base, "top.pem")]);
    expect(listed.errors).toHaveLength(1);
    expect(listed.errors[0]?.path.startsWith(join(base, segment))).toBe(true);
    expect(listed.errors[0]?.detail).toBe(
      "the path is longer than the operating system allows; scan from a directory closer to the file (ENAMETOOLONG)",
    );
  });
});
