/**
 * `watchpost push` attacked on purpose, against s3rver: a host directory holding private keys in
 * every encoding we know of, links out of the pushed tree, and files the pushing user may not read.
 * Every private key stays on the host, with a reason naming what it is; every object that reaches
 * the bucket is read back with openssl (`openssl storeutl -keys`, which tries PEM, DER and PKCS#12
 * with the passwords given), raw and decoded as a reader would decode it: no key may load.
 *
 * Key material is made at test time with openssl (the one tool every case is written with in the
 * wild), in a temporary directory that is removed afterwards. The permission cases run the command
 * as an unprivileged user (uid 65534) when the tests run as root, which reads every file anyway.
 */
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { type LocalS3, S3RVER_CREDENTIALS, startS3rver } from "../../support/emulators";
import { javaKeystore } from "../../support/java-stores";
import { chain } from "../../support/pki";

const run = promisify(execFile);
const ROOT_DIR = join(import.meta.dirname, "..", "..", "..");
const BUCKET = "adversarial-certs";
const ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: "us-east-1",
};
const STRONG = "Str0ng-and-unguessable";

let s3: LocalS3;
let work: string;
let ssl: string;
let material: Record<string, Buffer>;

async function openssl(args: string[], cwd: string): Promise<Buffer> {
  const { stdout } = await run("openssl", args, { cwd, encoding: "buffer", maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** A certificate with its RSA and EC keys in every form the cases need, written by openssl. */
async function makeMaterial(dir: string): Promise<Record<string, Buffer>> {
  const o = (...args: string[]) => openssl(args, dir);
  await o(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "key.pem",
    "-out",
    "cert.pem",
    "-subj",
    "/CN=web01.example.com",
    "-days",
    "30",
  );
  await o(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ec8.pem",
    "-out",
    "ec-cert.pem",
    "-subj",
    "/CN=ec.example",
    "-days",
    "30",
  );
  await o("ec", "-in", "ec8.pem", "-out", "ec.pem");
  await o("rsa", "-in", "key.pem", "-traditional", "-out", "rsa.pem");
  await o(
    "rsa",
    "-in",
    "key.pem",
    "-traditional",
    "-aes256",
    "-passout",
    `pass:${STRONG}`,
    "-out",
    "rsa-enc.pem",
  );
  await o("pkcs8", "-topk8", "-in", "key.pem", "-passout", `pass:${STRONG}`, "-out", "enc8.pem");
  await o("pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der");
  await o("rsa", "-in", "key.pem", "-traditional", "-outform", "DER", "-out", "rsa.der");
  await o("x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der");
  const p12 = (out: string, ...extra: string[]) =>
    o("pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", out, ...extra);
  await p12("none.p12", "-keypbe", "NONE", "-certpbe", "NONE", "-nomac", "-passout", "pass:");
  await p12("empty.p12", "-passout", "pass:");
  await p12("changeit.p12", "-passout", "pass:changeit");
  await p12("keynone-mac.p12", "-keypbe", "NONE", "-passout", `pass:${STRONG}`);
  await p12("nomac.p12", "-nomac", "-passout", `pass:${STRONG}`);
  await p12("strong.p12", "-passout", `pass:${STRONG}`);
  const read = async (name: string) => readFile(join(dir, name));
  const names = [
    "key.pem",
    "cert.pem",
    "ec.pem",
    "ec-cert.pem",
    "rsa.pem",
    "rsa-enc.pem",
    "enc8.pem",
    "key.der",
    "rsa.der",
    "cert.der",
    "none.p12",
    "empty.p12",
    "changeit.p12",
    "keynone-mac.p12",
    "nomac.p12",
    "strong.p12",
  ];
  const files: Record<string, Buffer> = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await read(n)] as const)),
  );
  files["key.txt"] = await o("pkey", "-in", "key.pem", "-text", "-noout");
  return files;
}

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
const utf16be = (text: string) =>
  Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]);
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64");

/**
 * Every way a private key can sit in a file a host might push: the file (under etc/ssl/) and
 * what `skipped` must say of it. Each holds a certificate too, unless said otherwise, so only the
 * key keeps it from the bucket.
 */
function keyCases(m: Record<string, Buffer>): [file: string, content: Buffer, reason: string][] {
  const cert = m["cert.pem"]!.toString();
  const key = m["key.pem"]!.toString();
  const clear = (what: string) =>
    `holds a private key in clear: ${what}; push a file with the certificates only, or the keystore the service reads`;
  const pemKey = 'a PEM "PRIVATE KEY" block';
  return [
    ["server.crt", m["key.pem"]!, clear(pemKey)],
    ["combined.pem", Buffer.from(cert + key), clear(pemKey)],
    ["powershell-utf16le.pem", utf16le(cert + key), clear(`${pemKey} (UTF-16 or UTF-32 text)`)],
    ["utf16be.pem", utf16be(cert + key), clear(`${pemKey} (UTF-16 or UTF-32 text)`)],
    [
      "utf8-bom.pem",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(cert + key)]),
      clear(pemKey),
    ],
    // 1.3 MB of certificates before the key: past the first MiB, within --max-bytes 3000000.
    ["late-key.pem", Buffer.from(cert.repeat(Math.ceil(1_300_000 / cert.length)) + key), clear(pemKey)],
    ["wrapped-base64.pem", Buffer.from(`${cert}\n${b64(key)}\n`), clear(`${pemKey} (inside base64)`)],
    [
      "wrapped-twice.pem",
      Buffer.from(`${cert}\n${b64(b64(key))}\n`),
      clear(`${pemKey} (inside base64, inside base64)`),
    ],
    ["json-escaped.pem", Buffer.from(`${cert}\n${JSON.stringify({ key })}\n`), clear(pemKey)],
    ["bundle.der", Buffer.concat([m["cert.der"]!, m["key.der"]!]), clear("a PKCS#8 RSA private key in DER")],
    [
      "hex-key.pem",
      Buffer.from(`${cert}\n${m["rsa.der"]!.toString("hex")}\n`),
      clear("a PKCS#1 RSA private key in DER (inside hex)"),
    ],
    [
      "rsa-traditional.pem",
      Buffer.from(cert + m["rsa.pem"]!.toString()),
      clear('a PEM "RSA PRIVATE KEY" block'),
    ],
    ["ec-sec1.pem", Buffer.concat([m["ec-cert.pem"]!, m["ec.pem"]!]), clear('a PEM "EC PRIVATE KEY" block')],
    [
      "printed.pem",
      Buffer.from(`${cert}\n${m["key.txt"]!.toString()}`),
      clear("a private key printed as text (its privateExponent field)"),
    ],
    [
      "keybag-nomac.p12",
      m["none.p12"]!,
      clear("a private key in a PKCS#12 key bag, not encrypted (PKCS#12)"),
    ],
    [
      "keybag-with-mac.p12",
      m["keynone-mac.p12"]!,
      clear("a private key in a PKCS#12 key bag, not encrypted (PKCS#12)"),
    ],
    [
      "empty-password.p12",
      m["empty.p12"]!,
      clear("a private key in a PKCS#12 file whose password is empty or well known (PKCS#12)"),
    ],
    [
      "changeit.p12",
      m["changeit.p12"]!,
      clear("a private key in a PKCS#12 file whose password is empty or well known (PKCS#12)"),
    ],
    [
      "strong-no-mac.p12",
      m["nomac.p12"]!,
      clear("a private key in a PKCS#12 file without an integrity MAC (PKCS#12)"),
    ],
    [
      "encrypted-pkcs8.pem",
      Buffer.from(cert + m["enc8.pem"]!.toString()),
      "holds an encrypted PKCS#8 private key in PEM, encrypted with PBES2 (aes-256-cbc): not in clear, but only certificates and keystores are pushed; put the certificates in a file of their own",
    ],
    [
      "legacy-encrypted.pem",
      Buffer.from(cert + m["rsa-enc.pem"]!.toString()),
      'holds a PEM "RSA PRIVATE KEY" block encrypted with AES-256-CBC (legacy PEM encryption): not in clear, but only certificates and keystores are pushed; put the certificates in a file of their own',
    ],
  ];
}

const HOST = "web01";
const prefixOf = (root: string) => `hosts/${HOST}${root}/`;
/** `watchpost push DIR... --to s3://BUCKET/<to>/ --host web01` against s3rver, then `extra`. */
const pushArgs = (dirs: string[], to: string, ...extra: string[]) => [
  "push",
  ...dirs,
  "--to",
  `s3://${BUCKET}/${to}/`,
  "--host",
  HOST,
  "--endpoint-url",
  s3.endpoint,
  ...extra,
];

async function objects(prefix: string): Promise<Map<string, Buffer>> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const found = new Map<string, Buffer>();
  for (const { Key } of listed.Contents ?? []) {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    found.set(Key!, Buffer.from(await object.Body!.transformToByteArray()));
  }
  return found;
}

/** Keys openssl loads from the bytes, raw and decoded (UTF-16, base64), with no and well-known passwords. */
async function keysOpensslLoads(bytes: Buffer, dir: string): Promise<number> {
  const text = bytes.toString("latin1");
  const variants = [bytes, Buffer.from(text.replace(/[^A-Za-z0-9+/=]/g, ""), "base64")];
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    variants.push(Buffer.from(bytes.subarray(2).toString("utf16le")));
  let loaded = 0;
  for (const [index, variant] of variants.entries()) {
    const file = join(dir, `readback-${index}`);
    await writeFile(file, variant);
    for (const password of ["", "changeit"]) {
      const found = await openssl(
        ["storeutl", "-noout", "-keys", "-passin", `pass:${password}`, file],
        dir,
      ).catch((error: { stdout?: Buffer }) => error.stdout ?? Buffer.alloc(0));
      loaded += Number(/Total found: (\d+)/.exec(found.toString())?.[1] ?? 0);
    }
  }
  return loaded;
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  work = await mkdtemp(join(tmpdir(), "watchpost-adversarial-"));
  await chmod(work, 0o755);
  const keys = join(work, "openssl");
  await mkdir(keys);
  material = await makeMaterial(keys);
  ssl = join(work, "host", "etc", "ssl");
  await mkdir(ssl, { recursive: true });
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("watchpost push never carries a private key, however it is encoded", () => {
  it("skips every file holding a key, says what the key is, and pushes the certificates and keystores; openssl loads no key from anything pushed", async () => {
    // Prepare
    const cases = keyCases(material);
    for (const [file, content] of cases) await writeFile(join(ssl, file), content);
    const pki = await chain("web01.example.com");
    await writeFile(join(ssl, "chain.pem"), `${pki.leaf.pem}\n${pki.intermediate.pem}`);
    await writeFile(join(ssl, "strong.p12"), material["strong.p12"]!);
    await writeFile(
      join(ssl, "server.keystore"),
      await javaKeystore({
        type: "JKS",
        password: STRONG,
        privateKey: { alias: "web", chain: [pki.leaf, pki.intermediate] },
      }),
    );

    // Act
    const { code, stdout } = await runCli(
      pushArgs([ssl], "hosts", "--max-bytes", "3000000", "--format", "json"),
      ENV,
    );

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { files: { path: string; outcome: string; reason?: string }[] };
    const skipped = Object.fromEntries(
      report.files
        .filter((f) => f.outcome === "skipped")
        .map((f) => [f.path.slice(ssl.length + 1), f.reason]),
    );
    expect(skipped).toEqual(Object.fromEntries(cases.map(([file, , reason]) => [file, reason])));
    const pushed = await objects(prefixOf(ssl));
    expect([...pushed.keys()].sort()).toEqual(
      ["chain.pem", "server.keystore", "strong.p12"].map((f) => `${prefixOf(ssl)}${f}`),
    );
    for (const [key, bytes] of [...pushed, ...(await objects(`hosts/${HOST}/.`))]) {
      expect([key, await keysOpensslLoads(bytes, work)]).toEqual([key, 0]);
    }
  }, 120_000);
});

describe("watchpost push stays inside the directories it is given", () => {
  it("reports links out of the pushed directory as skipped and reads none of them; a link inside it is followed", async () => {
    // Prepare: a tree an unprivileged user could have written into
    const root = join(work, "links", "etc", "ssl");
    const outside = join(work, "links", "outside");
    await mkdir(root, { recursive: true });
    await mkdir(join(outside, "certs"), { recursive: true });
    const pki = await chain("web01.example.com");
    await writeFile(join(outside, "shadow"), "root:$6$saltsalt$hashhashhash:19700:0:99999:7:::\n");
    await writeFile(join(outside, "certs", "other.pem"), pki.leaf.pem);
    await writeFile(join(root, "chain.pem"), pki.leaf.pem);
    await writeFile(join(root, "shadow-copy.crt"), "root:$6$saltsalt$hashhashhash:19700:0:99999:7:::\n");
    await symlink(join(outside, "shadow"), join(root, "shadow.crt"));
    await symlink(join(outside, "certs"), join(root, "outside-dir"));
    await symlink(join(root, "chain.pem"), join(root, "same-chain.pem"));
    await symlink(join(work, "links", "nothing-here"), join(root, "dangling.crt"));

    // Act
    const { code, stdout } = await runCli(pushArgs([root], "hosts", "--format", "json"), ENV);

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { files: { path: string; outcome: string; reason?: string }[] };
    const outcomes = report.files.map((f) => [f.path.slice(root.length + 1), f.outcome, f.reason]);
    const notFollowed = `(--follow-symlinks follows links into the other pushed directories): not followed`;
    expect(outcomes).toEqual([
      ["dangling.crt", "skipped", "a symbolic link to nothing (dangling)"],
      [
        "outside-dir",
        "skipped",
        `a symbolic link to ${join(outside, "certs")}, outside ${root} ${notFollowed}`,
      ],
      [
        "shadow.crt",
        "skipped",
        `a symbolic link to ${join(outside, "shadow")}, outside ${root} ${notFollowed}`,
      ],
      ["chain.pem", "uploaded", undefined],
      ["same-chain.pem", "uploaded", undefined],
      [
        "shadow-copy.crt",
        "skipped",
        "not certificate material (unsupported-format: text without any PEM block (no -----BEGIN line))",
      ],
    ]);
    expect([...(await objects(prefixOf(root))).keys()].sort()).toEqual([
      `${prefixOf(root)}chain.pem`,
      `${prefixOf(root)}same-chain.pem`,
    ]);
  });

  it("with --follow-symlinks, follows a link into another directory it pushes, and still none out of them all", async () => {
    // Prepare: /etc/ssl/certs is a link into /usr/share/ca-certificates, both pushed
    const base = join(work, "follow");
    const ssl2 = join(base, "etc", "ssl");
    const shared = join(base, "usr", "share", "ca-certificates");
    await mkdir(ssl2, { recursive: true });
    await mkdir(shared, { recursive: true });
    await writeFile(join(shared, "ca.pem"), (await chain("ca.example.com")).root.pem);
    await writeFile(join(base, "secret"), "root:x:0:0::/root:/bin/sh\n");
    await symlink(shared, join(ssl2, "certs"));
    await symlink(join(base, "secret"), join(ssl2, "secret.pem"));
    const push = (...extra: string[]) =>
      runCli(pushArgs([ssl2, shared], "follow", "--format", "json", ...extra), ENV);

    // Act
    const without = JSON.parse((await push()).stdout) as { files: { path: string; outcome: string }[] };
    const followed = JSON.parse((await push("--follow-symlinks")).stdout) as {
      files: { path: string; outcome: string; reason?: string }[];
    };

    // Assess
    const outcome = (r: typeof without, path: string) => r.files.find((f) => f.path === path)?.outcome;
    expect(outcome(without, join(ssl2, "certs"))).toBe("skipped");
    expect(outcome(followed, join(ssl2, "certs", "ca.pem"))).toBe("uploaded");
    expect(followed.files.find((f) => f.path === join(ssl2, "secret.pem"))).toEqual({
      path: join(ssl2, "secret.pem"),
      outcome: "skipped",
      reason: `a symbolic link to ${join(base, "secret")}, outside the pushed directories: not followed`,
    });
  });
});

/** Runs the CLI as a user that cannot read root's 0600 files (root reads everything). */
function runAsUnprivileged(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const asRoot = process.getuid?.() === 0;
  // From the checkout, where `--import tsx` resolves; every path given is absolute.
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT_DIR, "bin", "watchpost.ts"), ...args], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...ENV, HOME: work },
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

describe("watchpost push --delete deletes only what is gone", () => {
  it("keeps the copy of a file that exists but cannot be read, reports it failed, and deletes only the file that is gone", async () => {
    // Prepare: three certificates pushed once; then one is made unreadable and one is removed
    const root = join(work, "perm", "etc", "ssl");
    await mkdir(root, { recursive: true });
    await chmod(join(work, "perm"), 0o755);
    await chmod(join(work, "perm", "etc"), 0o755);
    await chmod(root, 0o777);
    const pki = await chain("web01.example.com");
    for (const name of ["kept.pem", "locked.pem", "removed.pem"]) {
      await writeFile(join(root, name), pki.leaf.pem, { mode: 0o644 });
    }
    const args = pushArgs([root], "perm");
    expect((await runAsUnprivileged(args)).code).toBe(0);
    await chmod(join(root, "locked.pem"), 0o000);
    await rm(join(root, "removed.pem"));

    // Act
    const { code, stdout } = await runAsUnprivileged([...args, "--delete", "--format", "json"]);

    // Assess
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as { files: { path: string; outcome: string; reason?: string }[] };
    expect(report.files.map((f) => [f.path.slice(root.length + 1), f.outcome, f.reason])).toEqual([
      ["kept.pem", "unchanged", undefined],
      ["locked.pem", "failed", "permission denied (EACCES)"],
      ["removed.pem", "deleted", undefined],
    ]);
    const prefix = `perm/${HOST}${root}/`;
    expect([...(await objects(prefix)).keys()].sort()).toEqual([`${prefix}kept.pem`, `${prefix}locked.pem`]);
  }, 120_000);
});

describe("the bucket copies an older push left", () => {
  it("a file that came to hold a key fails while a copy of it is in the bucket, naming the copy", async () => {
    // Prepare: the copy an older watchpost pushed of a combined certificate and key file
    const root = join(work, "older", "etc", "ssl");
    await mkdir(root, { recursive: true });
    const combined = Buffer.from(material["cert.pem"]!.toString() + material["key.pem"]!.toString());
    await writeFile(join(root, "combined.pem"), combined);
    const key = `older/${HOST}${root}/combined.pem`;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: combined }));

    // Act
    const { code, stdout } = await runCli(pushArgs([root], "older"), ENV);

    // Assess
    expect(code).toBe(2);
    expect(stdout).toContain(
      `failed    ${join(root, "combined.pem")}  (holds a private key in clear: a PEM "PRIVATE KEY" block; push a file with the certificates only, or the keystore the service reads; its bucket copy from an earlier push may hold it too: check it and delete it (aws s3 rm s3://${BUCKET}/${key}))`,
    );
  });
});
