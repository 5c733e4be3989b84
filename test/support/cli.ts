import type { CliIo } from "../../bin/cli/io";
import { main } from "../../bin/cli/main";

/**
 * Runs the CLI in-process the way a user would call it, capturing what it prints. `clock` stands
 * for the host's clock (`push` compares it with S3's): a host whose clock runs ahead.
 */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}, clock?: () => number) {
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
    ...(clock ? { clock } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
