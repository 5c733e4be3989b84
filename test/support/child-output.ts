/**
 * What a server started as a child process prints (stdout and stderr together), and a wait for a
 * line to appear: tests wait for what the server says, not for time to pass.
 */
import type { ChildProcess } from "node:child_process";

export interface ChildOutput {
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the output once it matches `pattern`; rejects if the child exits first. */
  waitFor(pattern: RegExp): Promise<string>;
}

export function watchOutput(child: ChildProcess): ChildOutput {
  let output = "";
  const waiters: { pattern: RegExp; resolve: (text: string) => void; reject: (e: Error) => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(output);
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  child.once("exit", (code) => {
    for (const waiter of waiters.splice(0))
      waiter.reject(new Error(`the process exited (${code}) before printing ${waiter.pattern}:\n${output}`));
  });
  return {
    output: () => output,
    waitFor: (pattern) =>
      new Promise<string>((resolve, reject) => {
        if (pattern.test(output)) resolve(output);
        else if (child.exitCode !== null) reject(new Error(`the process has exited:\n${output}`));
        else waiters.push({ pattern, resolve, reject });
      }),
  };
}
