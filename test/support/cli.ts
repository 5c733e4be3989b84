import type { CliIo } from "../../bin/cli/io";
import { main } from "../../bin/cli/main";

/** Runs the CLI in-process the way a user would call it, capturing what it prints. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    isTTY: false,
    cwd: process.cwd(),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
