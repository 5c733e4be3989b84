/**
 * The `watchpost` command-line tool. Each sub-command lives in bin/cli/<name>.ts and returns its
 * exit status; usage mistakes exit 3 (design brief, "Exit status").
 */

import { EXIT } from "../../functions/core/contracts";
import { visibleLines, visibleText } from "../../functions/core/visible-text";
import packageJson from "../../package.json" with { type: "json" };
import { type CliIo, type Command, UsageError } from "./io";

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  scan: {
    summary: "scan certificate files and directories",
    load: async () => (await import("./scan")).scanCommand,
  },
  probe: {
    summary: "connect to a TLS endpoint and judge the chain it presents",
    load: async () => (await import("./probe")).probeCommand,
  },
  report: {
    summary: "write the certificate page (HTML) from a scan's JSON results",
    load: async () => (await import("./page-report")).reportCommand,
  },
  alarms: {
    summary: "list the alarm catalog (IDs, severities, runbooks)",
    load: async () => (await import("./alarms")).alarmsCommand,
  },
  push: {
    summary: "upload a host's certificates and keystores to the watched bucket",
    load: async () => (await import("./push")).pushCommand,
  },
  "check-credentials": {
    summary: "assume a role and prove the temporary credentials reach a bucket",
    load: async () => (await import("./check-credentials")).checkCredentialsCommand,
  },
  "verify-deployment": {
    summary: "send a synthetic alarm through a deployed stack and report where it goes",
    load: async () => (await import("./verify-deployment")).verifyDeploymentCommand,
  },
};

export const USAGE = `usage: watchpost <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(18)} ${summary}`)
  .join("\n")}

Run 'watchpost <command> --help' for the options of one command; 'watchpost --version' prints
the version.
`;

/** The release, from package.json (compiled into the bundle the host package ships). */
export const VERSION = packageJson.version;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout(`watchpost ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`watchpost: unknown command '${visibleText(name)}'\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      // Usage messages quote file names and arguments: their control characters must not reach the
      // terminal. Line feeds may: some messages (parseArgs's) are written on several lines.
      io.stderr(
        `watchpost ${name}: ${visibleLines(error.message)}\nRun 'watchpost ${name} --help' for usage.\n`,
      );
      return EXIT.usage;
    }
    throw error;
  }
}
