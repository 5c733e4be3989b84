/**
 * `npm run build`: the `watchpost` command as operators install it on a host — one JavaScript file
 * that Node 20.19 or later runs with nothing beside it, packed as an npm tarball without
 * dependencies (`npm install -g ./watchpost-<version>.tgz`), so a production host gets neither
 * aws-cdk-lib nor tsx nor any dev tooling, and nothing is compiled when the command starts.
 *
 * Writes, under --out DIR (default dist/):
 * - `watchpost.mjs`: the bundle (esbuild; the AWS SDK, zod and the certificate readers inside);
 * - `package/`: what the tarball holds: package.json (no dependencies), watchpost.mjs, the
 *   bundled libraries' license notices, README.md (docs/push.md) and the example systemd/cron units;
 * - `watchpost-<version>.tgz`: `npm pack` of package/.
 * Prints the tarball's path as its last line. `npm run cli` stays the development path (tsx).
 *
 * Unlike the Lambda bundles (lib/bundling.ts) the host keeps the AWS SDK's whole default credential
 * chain: instance profiles, profiles, SSO and IAM Roles Anywhere's credential process exist there.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { withoutOidNames } from "../lib/bundling";

const ROOT = join(import.meta.dirname, "..");

interface Manifest {
  version: string;
  description: string;
  license: string;
  engines: { node: string };
}

export interface HostBuild {
  bundle: string;
  tarball: string;
  bytes: number;
}

/** Builds the bundle and the tarball into `out`; returns their paths. */
export async function buildHostCli(out: string): Promise<HostBuild> {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;
  const packageDir = join(out, "package");
  rmSync(packageDir, { recursive: true, force: true });
  mkdirSync(packageDir, { recursive: true });

  const bundle = join(out, "watchpost.mjs");
  const result = await build({
    entryPoints: [join(ROOT, "bin", "watchpost.ts")],
    bundle: true,
    outfile: bundle,
    format: "esm",
    platform: "node",
    // The oldest Node the package accepts (engines), so nothing newer is emitted.
    target: "node20",
    // The SDK's ES module builds, which esbuild can tree-shake (lib/bundling.ts says why).
    mainFields: ["module", "main"],
    // Fewer bytes to parse at every start; names are kept so stack traces still say something.
    minify: true,
    keepNames: true,
    charset: "utf8",
    legalComments: "external",
    banner: {
      js: "import { createRequire as __watchpostRequire } from 'node:module'; const require = __watchpostRequire(import.meta.url);",
    },
    // @lapo/asn1js's table of identifier names, which the reader never prints (lib/bundling.ts).
    plugins: [withoutOidNames],
    logLevel: "warning",
    metafile: true,
  });
  chmodSync(bundle, 0o755);

  copyFileSync(bundle, join(packageDir, "watchpost.mjs"));
  chmodSync(join(packageDir, "watchpost.mjs"), 0o755);
  copyFileSync(`${bundle}.LEGAL.txt`, join(packageDir, "THIRD-PARTY-NOTICES.txt"));
  copyFileSync(join(ROOT, "docs", "push.md"), join(packageDir, "README.md"));
  mkdirSync(join(packageDir, "examples"), { recursive: true });
  for (const unit of ["watchpost-push.service", "watchpost-push.timer", "watchpost-push.cron"]) {
    copyFileSync(join(ROOT, "docs", "push", unit), join(packageDir, "examples", unit));
  }
  const hostManifest = {
    name: "watchpost",
    version: manifest.version,
    description: `${manifest.description} The host command: watchpost push, scan, probe, check-credentials.`,
    license: manifest.license,
    type: "module",
    bin: { watchpost: "watchpost.mjs" },
    engines: manifest.engines,
    files: ["watchpost.mjs", "THIRD-PARTY-NOTICES.txt", "README.md", "examples/"],
  };
  writeFileSync(join(packageDir, "package.json"), `${JSON.stringify(hostManifest, null, 2)}\n`);

  // --ignore-scripts: the generated package has none, and nothing may run while it is packed.
  const packed = execFileSync(
    "npm",
    ["pack", packageDir, "--pack-destination", out, "--ignore-scripts", "--json"],
    {
      cwd: out,
      encoding: "utf8",
      env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" },
    },
  );
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { bundle, tarball: join(out, filename), bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const at = process.argv.indexOf("--out");
  const out = resolve(at >= 0 ? (process.argv[at + 1] ?? "dist") : join(ROOT, "dist"));
  mkdirSync(out, { recursive: true });
  const built = await buildHostCli(out);
  process.stderr.write(`watchpost: ${built.bundle} (${(built.bytes / 1024).toFixed(0)} kB)\n`);
  process.stdout.write(`${built.tarball}\n`);
}
