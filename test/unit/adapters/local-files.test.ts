import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keystorePasswordFrom, listFiles, loadFile } from "../../../functions/adapters/local-files";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "watchpost-files-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const base = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(base, path, ".."), { recursive: true });
    await writeFile(join(base, path), content);
  }
  return base;
}

describe("listFiles", () => {
  it("expands directories recursively in sorted order, skipping .git and node_modules", async () => {
    // Prepare
    const base = await tree("walk", {
      "b.pem": "b",
      "a/z.crt": "z",
      "a/c/d.pem": "d",
      ".git/config.pem": "x",
      "node_modules/pkg/cert.pem": "x",
      "A.pem": "A",
    });

    // Act
    const { files, errors } = await listFiles([base]);

    // Assess
    expect(errors).toEqual([]);
    expect(files.map((f) => f.slice(base.length + 1))).toEqual(["A.pem", "a/c/d.pem", "a/z.crt", "b.pem"]);
  });

  it("keeps argument order, lists a file once, and reports a missing path without stopping", async () => {
    // Prepare
    const base = await tree("args", { "one.pem": "1", "two.pem": "2" });
    const missing = join(base, "missing.pem");

    // Act
    const { files, errors } = await listFiles([join(base, "two.pem"), missing, base]);

    // Assess
    expect(files).toEqual([join(base, "two.pem"), join(base, "one.pem")]);
    expect(errors).toEqual([{ path: missing, detail: "no such file or directory (ENOENT)" }]);
  });

  it("follows symbolic links without looping and reports broken ones", async () => {
    // Prepare
    const base = await tree("links", { "real/cert.pem": "c" });
    await symlink(base, join(base, "real", "loop"));
    await symlink(join(base, "nowhere"), join(base, "dangling.pem"));

    // Act
    const { files, errors } = await listFiles([base]);

    // Assess
    expect(files).toEqual([join(base, "real", "cert.pem")]);
    expect(errors).toEqual([
      { path: join(base, "dangling.pem"), detail: "no such file or directory (ENOENT)" },
    ]);
  });

  it("accounts for what a walk does not read: FIFOs, sockets and links back to a directory already walked", async () => {
    // Prepare — reading a FIFO would block the scan; a link to `.` would be walked forever
    const base = await tree("special", { "cert.pem": "c", "sub/other.pem": "o" });
    execFileSync("mkfifo", [join(base, "pipe")]);
    const socket = createServer();
    await new Promise<void>((resolve) => socket.listen(join(base, "sub", "control.sock"), resolve));
    await symlink(".", join(base, "loop"));
    await symlink("..", join(base, "sub", "up"));

    // Act
    const listed = await listFiles([base]).finally(() => socket.close());

    // Assess
    expect(listed.files).toEqual([join(base, "cert.pem"), join(base, "sub", "other.pem")]);
    expect(listed.errors).toEqual([]);
    expect(listed.skipped).toEqual([
      { path: join(base, "loop"), reason: "directory-already-walked" },
      { path: join(base, "pipe"), reason: "not-regular-file" },
      { path: join(base, "sub", "control.sock"), reason: "not-regular-file" },
      { path: join(base, "sub", "up"), reason: "directory-already-walked" },
    ]);
  });
});

describe("loadFile", () => {
  it("reads a file within the cap", async () => {
    // Prepare
    const base = await tree("load", { "small.pem": "hello" });

    // Act
    const loaded = await loadFile(join(base, "small.pem"), 5);

    // Assess
    expect(loaded).toEqual({ ok: true, bytes: new Uint8Array(Buffer.from("hello")) });
  });

  it("refuses a file one byte over the cap", async () => {
    // Prepare
    const base = await tree("over", { "six.pem": "hello!" });

    // Act
    const loaded = await loadFile(join(base, "six.pem"), 5);

    // Assess
    expect(loaded).toMatchObject({ ok: false, reason: "too-large" });
  });

  it("does not read a 2 GiB file into memory: it is refused from its size", async () => {
    // Prepare: a sparse file; reading it whole would need 2 GiB (over Buffer limits on some builds)
    const base = await tree("huge", { "huge.p12": "" });
    const path = join(base, "huge.p12");
    await truncate(path, 2 * 1024 ** 3);

    // Act
    const loaded = await loadFile(path, 1024 * 1024);

    // Assess
    expect(loaded).toEqual({
      ok: false,
      reason: "too-large",
      detail: `the file has ${2 * 1024 ** 3} bytes, more than the limit of 1048576 bytes`,
    });
  });

  it("reports a missing file and a directory as io-error", async () => {
    // Prepare
    const base = await tree("errors", { "x.pem": "x" });

    // Act
    const missing = await loadFile(join(base, "nope.pem"), 10);
    const directory = await loadFile(base, 10);

    // Assess
    expect(missing).toEqual({ ok: false, reason: "io-error", detail: "no such file or directory (ENOENT)" });
    expect(directory).toMatchObject({ ok: false, reason: "io-error", detail: "not a regular file" });
  });
});

describe("keystorePasswordFrom", () => {
  it("reads WATCHPOST_KEYSTORE_PASSWORD, including an empty one", async () => {
    expect(await keystorePasswordFrom({ WATCHPOST_KEYSTORE_PASSWORD: "s3cret" })).toBe("s3cret");
    expect(await keystorePasswordFrom({ WATCHPOST_KEYSTORE_PASSWORD: "" })).toBe("");
  });

  it("prefers the new names over the old WATCHPOST_PKCS12_PASSWORD[_FILE], which still work alone", async () => {
    // Prepare
    const base = await tree("precedence", { "new.pass": "from-new-file\n" });
    const newFile = join(base, "new.pass");

    // Act
    const newOverOld = await keystorePasswordFrom({
      WATCHPOST_KEYSTORE_PASSWORD_FILE: newFile,
      WATCHPOST_PKCS12_PASSWORD: "from-old-variable",
    });
    const variableOverFile = await keystorePasswordFrom({
      WATCHPOST_KEYSTORE_PASSWORD: "from-new-variable",
      WATCHPOST_KEYSTORE_PASSWORD_FILE: newFile,
    });

    // Assess
    expect(newOverOld).toBe("from-new-file");
    expect(variableOverFile).toBe("from-new-variable");
  });

  it("reads the old WATCHPOST_PKCS12_PASSWORD, including an empty one", async () => {
    expect(await keystorePasswordFrom({ WATCHPOST_PKCS12_PASSWORD: "s3cret" })).toBe("s3cret");
    expect(await keystorePasswordFrom({ WATCHPOST_PKCS12_PASSWORD: "" })).toBe("");
    expect(await keystorePasswordFrom({})).toBeUndefined();
  });

  it("reads the file named by WATCHPOST_PKCS12_PASSWORD_FILE without its trailing newline", async () => {
    // Prepare
    const base = await tree("secret", { "p12.pass": "pa ss wörd \r\n" });

    // Act
    const password = await keystorePasswordFrom({ WATCHPOST_PKCS12_PASSWORD_FILE: join(base, "p12.pass") });

    // Assess
    expect(password).toBe("pa ss wörd ");
  });

  it("names an unreadable password file, never a password", async () => {
    // Prepare
    const path = join(root, "absent.pass");

    // Act
    const attempt = keystorePasswordFrom({ WATCHPOST_PKCS12_PASSWORD_FILE: path });

    // Assess
    await expect(attempt).rejects.toThrow(`cannot read WATCHPOST_PKCS12_PASSWORD_FILE (${path})`);
  });
});
