/** What every command gets: where to write, the environment, and whether output is a terminal. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Colour only when a person is reading. */
  isTTY: boolean;
  /** Working directory used to resolve relative paths. */
  cwd: string;
  /** The host's clock, ms since the epoch (default Date.now): `npm start` shows a host whose clock runs ahead. */
  clock?: () => number;
}

export type Command = (argv: string[], io: CliIo) => Promise<number>;

/** A mistake in how the command was called: printed with the usage text, exit status 3. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    cwd: process.cwd(),
  };
}
