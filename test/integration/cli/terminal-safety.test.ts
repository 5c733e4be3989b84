/**
 * Certificates and file names are written by whoever made them. A subject carrying escape sequences
 * must not set the terminal's window title, return the cursor, clear the line or reverse the text
 * that follows when `watchpost` prints it — colour on or off. Table output shows every control
 * character as an escape; JSON output keeps the exact text (JSON escapes it by itself).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ScanReport } from "../../../functions/core/contracts";
import { visibleLines } from "../../../functions/core/visible-text";
import { runCli } from "../../support/cli";
import { issue } from "../../support/pki";

const ESC = "\u001b";
const BEL = "\u0007";
const CSI_C1 = "\u009b";
const RLO = "\u202e";
/** Sets the window title, returns to column 0, clears the line, hides what follows, reverses text. */
const HOSTILE_CN = `evil${ESC}]0;pwned${BEL}\r${ESC}[2K${ESC}[8mhidden${CSI_C1}31m${RLO}gnp.exe`;
const HOSTILE_FILE = `cert${ESC}[2J${RLO}\rname.pem`;

// Everything a terminal would act on; \n ends our own lines and is allowed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
const RAW_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "watchpost-hostile-"));
  const cert = await issue({
    // As a JSON name: in a DN string ';' would separate RDNs (RFC 1779) and cut the CN short.
    subject: [{ CN: [HOSTILE_CN] }] as unknown as string,
    dnsNames: [`a${ESC}]0;x${BEL}.example.com`],
    notAfter: new Date(Date.now() - 86_400_000),
  });
  await writeFile(join(dir, HOSTILE_FILE), cert.pem);
});

describe("terminal safety of scan output", () => {
  it("shows every control character of a subject, a SAN and a file name as an escape in the table, colour off", async () => {
    // Act
    const { code, stdout } = await runCli(["scan", dir, "--expect-host", "api.example.com"], {
      NO_COLOR: "1",
    });

    // Assess
    expect(code).toBe(2);
    expect(stdout).not.toMatch(RAW_CONTROLS);
    // The subject as watchpost writes names (RFC 4514: ';' and CR escaped), its controls then made visible.
    expect(stdout).toContain('"CN=evil\\x1b]0\\;pwned\\x07\\0D\\x1b[2K\\x1b[8mhidden\\x9b31m\\u202egnp.exe"');
    expect(stdout).toContain("cert\\x1b[2J\\u202e\\x0dname.pem");
    expect(stdout).toContain("a\\x1b]0;x\\x07.example.com"); // the SAN, quoted in the hostname finding
    expect(stdout).toMatch(/^1 certificate in 1 file; 2 findings \(1 critical, 1 major\)$/m);
  });

  it("keeps the exact text in JSON output", async () => {
    // Act
    const { stdout } = await runCli(["scan", dir, "--format", "json"]);

    // Assess
    const report = ScanReport.parse(JSON.parse(stdout));
    expect(report.certificates[0]!.subject).toBe(
      `CN=evil${ESC}]0\\;pwned${BEL}\\0D${ESC}[2K${ESC}[8mhidden${CSI_C1}31m${RLO}gnp.exe`,
    );
    expect(report.certificates[0]!.source).toBe(`${join(dir, HOSTILE_FILE)}#0`);
    expect(stdout).not.toMatch(RAW_CONTROLS); // JSON writes them as \u001b…
  });

  it("escapes a hostile file name in a usage error on stderr", async () => {
    // Act
    const { code, stderr } = await runCli(["scan", dir, "--ca", join(dir, `no${ESC}]0;t${BEL}such.pem`)]);

    // Assess
    expect(code).toBe(3);
    expect(stderr).not.toMatch(RAW_CONTROLS);
    expect(stderr).toContain("no\\x1b]0;t\\x07such.pem");
  });

  it("keeps the line breaks of a multi-line usage message", async () => {
    // Act — node:util parseArgs explains an option value that starts with a dash in three lines
    const { code, stderr } = await runCli(["scan", dir, "--skew", "-5"]);

    // Assess
    expect(code).toBe(3);
    expect(stderr).not.toContain("\\x0a");
    expect(stderr.split("\n")).toEqual([
      "watchpost scan: Option '--skew' argument is ambiguous.",
      "Did you forget to specify the option argument for '--skew'?",
      "To specify an option argument starting with a dash use '--skew=-XYZ'.",
      "Run 'watchpost scan --help' for usage.",
      "",
    ]);
  });

  it("keeps only line feeds: a carriage return or an escape inside a line stays visible", () => {
    // Act
    const shown = visibleLines(`first${ESC}[2J line\r\nsecond ${RLO}line\n`);

    // Assess
    expect(shown).toBe("first\\x1b[2J line\\x0d\nsecond \\u202eline\n");
  });
});
