/**
 * Real Debian server packages, started by hand for one test file: in a temporary directory, on a
 * loopback port, without systemd, owned by the test and stopped in its teardown. Each start says
 * why it cannot run here (package absent, no unprivileged account) instead of failing, so the
 * tests skip with a printed reason; `.ci/run` installs the packages where it can.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { type ChildOutput, watchOutput } from "./child-output";

/** A server whose `output()` is its log. */
export interface RealServer extends ChildOutput {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries Debian's postgresql package installed, if any. */
function postgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], "bin") : undefined;
}

/** The account PostgreSQL runs as: itself when not root (postgres refuses root), else `postgres`. */
function postgresAccount(): { uid: number; gid: number; runAs: string[] } | undefined {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    return { uid: me.uid, gid: me.gid, runAs: [] };
  }
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    // setpriv execs the server itself (runuser would sit between), so signals reach it directly.
    return { uid, gid, runAs: ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--"] };
  } catch {
    return undefined;
  }
}

export function postgresMissing(): string | undefined {
  if (!postgresBin()) return "PostgreSQL is not installed (Debian package postgresql)";
  if (!postgresAccount()) return "running as root without a postgres account to run PostgreSQL as";
  return undefined;
}

/** A port the kernel had free a moment ago; a server that then cannot bind it is started again. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * PostgreSQL with `ssl = on` and the given certificate chain and key, listening on 127.0.0.1 only
 * (no Unix socket outside the temporary directory). Logged at DEBUG2, so the postmaster logs each
 * backend it forks and each one's exit: a test can wait for the connection it made to be over.
 */
export async function startPostgres(certificateChainPem: string, keyPem: string): Promise<RealServer> {
  const bin = postgresBin();
  const account = postgresAccount();
  if (!bin || !account) throw new Error(postgresMissing());
  const dir = mkdtempSync(join(tmpdir(), "watchpost-postgres-"));
  const data = join(dir, "data");
  writeFileSync(join(dir, "server.crt"), certificateChainPem);
  writeFileSync(join(dir, "server.key"), keyPem, { mode: 0o600 });
  for (const path of [dir, join(dir, "server.crt"), join(dir, "server.key")])
    chownSync(path, account.uid, account.gid);
  chmodSync(dir, 0o700);
  const as = (command: string, args: string[]): [string, string[]] =>
    account.runAs.length > 0
      ? [account.runAs[0]!, [...account.runAs.slice(1), command, ...args]]
      : [command, args];
  const [initCommand, initArgs] = as(join(bin, "initdb"), [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
  ]);
  execFileSync(initCommand, initArgs, { stdio: "ignore", cwd: dir });

  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const [command, args] = as(join(bin, "postgres"), [
      "-D",
      data,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `port=${port}`,
      "-c",
      `unix_socket_directories=${dir}`,
      "-c",
      "ssl=on",
      "-c",
      `ssl_cert_file=${join(dir, "server.crt")}`,
      "-c",
      `ssl_key_file=${join(dir, "server.key")}`,
      "-c",
      "log_min_messages=debug2",
      "-c",
      "fsync=off",
    ]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
    const watched = watchOutput(child);
    const outcome = await watched
      .waitFor(/database system is ready to accept connections|could not bind|FATAL/)
      .catch((error: Error) => error.message);
    if (/ready to accept connections/.test(outcome)) {
      return {
        endpoint: `127.0.0.1:${port}`,
        port,
        ...watched,
        stop: async () => {
          if (child.exitCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGINT"); // fast shutdown
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
    }
    if (attempt === 3 || !/could not bind/.test(outcome)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start:\n${outcome}`);
    }
  }
}
