#!/usr/bin/env node
/**
 * The `watchpost` command-line tool. Each sub-command lives in bin/cli/<name>.ts and returns its
 * exit status; usage mistakes exit 3 (design brief, "Exit status").
 */
import { EXIT } from "../functions/core/contracts";
import { type Command, type CliIo, processIo, UsageError } from "./cli/io";

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  scan: {
    summary: "scan certificate files and directories",
    load: async () => (await import("./cli/scan")).scanCommand,
  },
  probe: {
    summary: "connect to a TLS endpoint and judge the chain it presents",
    load: async () => (await import("./cli/probe")).probeCommand,
  },
  alarms: {
    summary: "list the alarm catalog (IDs, severities, runbooks)",
    load: async () => (await import("./cli/alarms")).alarmsCommand,
  },
  "check-credentials": {
    summary: "assume a role and prove the temporary credentials reach a bucket",
    load: async () => (await import("./cli/check-credentials")).checkCredentialsCommand,
  },
};

export const USAGE = `usage: watchpost <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(18)} ${summary}`)
  .join("\n")}

Run 'watchpost <command> --help' for the options of one command.
`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`watchpost: unknown command '${name}'\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`watchpost ${name}: ${error.message}\nRun 'watchpost ${name} --help' for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

const invokedDirectly = process.argv[1] && /watchpost\.(ts|mjs|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`watchpost: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 4;
    },
  );
}
