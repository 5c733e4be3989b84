/**
 * Real Debian server packages, started by hand for one test file: in a temporary directory, on a
 * loopback port, without systemd, owned by the test and stopped in its teardown. Each start says
 * why it cannot run here (package absent, no unprivileged account) instead of failing, so the
 * tests skip with a printed reason; `.ci/run` installs the packages where it can.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
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

export function dovecotMissing(): string | undefined {
  if (!existsSync("/usr/sbin/dovecot"))
    return "Dovecot is not installed (Debian packages dovecot-imapd, dovecot-pop3d)";
  if (process.getuid?.() !== 0) return "Dovecot drops privileges itself and must be started as root";
  for (const user of ["dovecot", "dovenull"]) {
    try {
      execFileSync("id", [user], { stdio: "ignore" });
    } catch {
      return `the ${user} account Debian's dovecot-core creates is missing`;
    }
  }
  return undefined;
}

export interface DovecotServer extends ChildOutput {
  imap: string;
  pop3: string;
  stop(): Promise<void>;
}

/**
 * Dovecot (IMAP and POP3 with STARTTLS) in the foreground (`dovecot -F`), logging to stderr, its
 * runtime files in a temporary directory, listening on 127.0.0.1 only. No mailbox is ever opened:
 * the probe leaves before logging in, and Dovecot logs one "Disconnected" line per connection,
 * saying how far TLS got ("TLS" for a completed handshake, "TLS handshaking: …" for one cut short).
 */
export async function startDovecot(certificateChainPem: string, keyPem: string): Promise<DovecotServer> {
  const missing = dovecotMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), "watchpost-dovecot-"));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "cert.pem"), certificateChainPem);
  writeFileSync(join(dir, "key.pem"), keyPem, { mode: 0o600 });
  for (let attempt = 1; ; attempt += 1) {
    const [imap, pop3] = [await freePort(), await freePort()];
    const config = join(dir, "dovecot.conf");
    writeFileSync(
      config,
      `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/stderr
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imap}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${pop3}
  }
  inet_listener pop3s {
    port = 0
  }
}
`,
    );
    const child = spawn("/usr/sbin/dovecot", ["-F", "-c", config], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: dir,
    });
    const watched = watchOutput(child);
    const outcome = await watched
      .waitFor(/starting up for imap, pop3|Fatal|Error/)
      .catch((error: Error) => error.message);
    // The master logs "starting up" before it binds; a login on each port proves they listen.
    const listening =
      /starting up/.test(outcome) && (await answers(imap, "* OK")) && (await answers(pop3, "+OK"));
    if (listening) {
      // Those two connections' lines are logged before the caller's, so it reads only its own.
      await watched.waitFor(/imap-login: [^\n]*(Disconnected|Aborted)/);
      await watched.waitFor(/pop3-login: [^\n]*(Disconnected|Aborted)/);
      return {
        imap: `127.0.0.1:${imap}`,
        pop3: `127.0.0.1:${pop3}`,
        ...watched,
        stop: async () => {
          if (child.exitCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    if (attempt === 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`Dovecot did not start:\n${watched.output()}`);
    }
  }
}

/**
 * A server that accepts but never greets (seen once on a loaded machine: Dovecot's master listening,
 * no login process) would otherwise hold the start-up forever; after this long the attempt counts as
 * failed and the server is started again. A hang guard only: no verdict depends on it.
 */
const GREETING_GUARD_MS = 30_000;

/** Whether a server on the port greets with `greeting` (then says goodbye, so it logs nothing odd). */
function answers(port: number, greeting: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let text = "";
    const guard = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, GREETING_GUARD_MS);
    socket.once("close", () => clearTimeout(guard));
    socket.once("error", () => resolve(false));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\r\n")) {
        socket.end(greeting === "* OK" ? "W0 LOGOUT\r\n" : "QUIT\r\n");
        resolve(text.startsWith(greeting));
      }
    });
    socket.connect(port, "127.0.0.1");
  });
}
