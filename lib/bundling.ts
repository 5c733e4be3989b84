/**
 * How every watchpost Lambda bundle is built, in one place: the stack hands these options to
 * NodejsFunction (which runs the esbuild command line), and the benchmarks (test/bench/bundles.ts)
 * hand the same options to esbuild's API to measure what the stack deploys. Change them here only.
 *
 * - ESM for Node, minified, the AWS SDK bundled too (the versions tested are the versions run).
 * - `mainFields: module, main`: the SDK's ES module builds (dist-es), which esbuild can tree-shake;
 *   its CommonJS builds cannot be, and pull in every command of every client.
 * - Source maps are written to separate `.map` files without the sources' text: they do not
 *   weigh on the code Lambda loads, and are used only where NODE_OPTIONS has --enable-source-maps.
 * - `charset: utf8`: non-ASCII text (messages in other languages inside libraries) is kept as it
 *   is instead of as \u escapes, which are several times larger. Node reads modules as UTF-8.
 * - `legalComments: external`: the bundled libraries' license notices go to `index.mjs.LEGAL.txt`,
 *   shipped in the same asset next to the code, instead of 3 kB at the end of what Lambda loads.
 * - The banner gives the ES module a `require`, which some CommonJS dependencies still call.
 * - `alias`: @aws-sdk/credential-provider-node, the default credential chain every SDK client
 *   imports, is replaced by functions/adapters/clients/lambda-credentials.ts, which reads the
 *   credentials Lambda puts in the environment (and its container endpoint when that is set). The
 *   chain's other sources (profile files, SSO, credential process, web-identity token file, EC2
 *   instance metadata) do not exist in Lambda, and the STS, SSO, OIDC and sign-in clients they
 *   bring weighed about 95 kB in each bundle (certificate-scan: 1,015 kB -> 907 kB).
 * - The configuration comes in through an injected module (`configModule`), not a `--define` on the
 *   command line: a configuration near its documented limits is hundreds of kilobytes, more than
 *   one command-line argument may hold (Linux MAX_ARG_STRLEN, 128 KiB), and `cdk synth` failed
 *   with `spawnSync E2BIG`.
 * - Code splitting (`splitting`, `outdir`, `chunkNames`): the API build writes the handler file,
 *   `index.mjs`, with its chunks beside it in `chunks/`. Code that only some configurations or
 *   files need is imported where it is first needed (a dynamic `import()`), and esbuild makes it a
 *   chunk of its own that a cold start does not load: the AWS certificate sources' clients (SSM,
 *   IAM, ACM, Secrets Manager, STS, with the protocol code only they use), the Secrets Manager
 *   client of PKCS#12 passwords, the SQS client of fan-out, the Java keystore readers, node-forge's
 *   RC2 for legacy PKCS#12 files and the TLS endpoint probe. certificate-scan with the shipped
 *   example's configuration: 1,281,144 bytes in one file -> 988,129 loaded at a cold start, the
 *   rest in chunks (2026-12-07, test/bench/bundles.ts). The command line NodejsFunction runs writes
 *   one file; the hook below replaces it with the split build.
 * - `plugins`: @lapo/asn1js (which finds a certificate's fields for the reader) imports a table
 *   of some 7,000 object identifiers' names, 210 kB once minified, which it uses only to print
 *   names next to identifiers; the reader never asks it for one. `withoutOidNames` bundles an
 *   empty table in its place. esbuild's command line, which NodejsFunction runs, cannot take a
 *   plugin (and its `alias` maps package names, not a package's relative imports), so the
 *   command hook `afterBundling` builds the function again with esbuild's API and these same
 *   options (lib/bundle-function.ts) over what the command line wrote.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { BundlingOptions, ICommandHooks } from "aws-cdk-lib/aws-lambda-nodejs";
import { OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { BuildOptions, Plugin } from "esbuild";
import type { WatchpostConfig } from "../functions/core/config";
import { CONFIG_DEFINE, encodeConfig } from "../functions/handlers/shared/deployed-config";

export const FUNCTION_BUNDLE = {
  format: "esm",
  platform: "node",
  /** Matches the functions' runtime (lambda.Runtime.NODEJS_24_X in watchpost-function.ts). */
  target: "node24",
  mainFields: ["module", "main"],
  minify: true,
  /** A separate map file, without sourcesContent. */
  sourcemap: true,
  sourcesContent: false,
  charset: "utf8",
  legalComments: "external",
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  /** Where the chunks go, beside the handler file (code splitting, API build only). */
  chunkNames: "chunks/[name]-[hash]",
  /** Nothing is left to the runtime's copy of the SDK. */
  external: [] as string[],
  /** Package name -> absolute path of the module bundled in its place. */
  alias: {
    "@aws-sdk/credential-provider-node": join(
      import.meta.dirname,
      "..",
      "functions",
      "adapters",
      "clients",
      "lambda-credentials.ts",
    ),
  },
} as const;

/**
 * @lapo/asn1js's table of object identifier names (its `oids.js`), replaced by none: with no table
 * it prints identifiers as numbers, and the reader reads only positions (certificate-layout.ts).
 */
export const withoutOidNames: Plugin = {
  name: "lapo-asn1js-without-oid-names",
  setup(build) {
    build.onResolve({ filter: /^\.\/oids\.js$/ }, (args) =>
      /[\\/]@lapo[\\/]asn1js[\\/]/.test(args.importer)
        ? { path: "oids.js", namespace: "no-oid-names" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "no-oid-names" }, () => ({
      contents: "export const oids = undefined;",
      loader: "js",
    }));
  },
};

/**
 * A module exporting the validated configuration as the `__WATCHPOST_CONFIG__` string constant,
 * for esbuild's `inject` (which replaces the global of that name with the export). Written once
 * per distinct configuration, named by its hash, so concurrent synths never see half a file.
 */
export function configModule(config: WatchpostConfig): string {
  const source = `export const ${CONFIG_DEFINE} = ${JSON.stringify(encodeConfig(config))};\n`;
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 32);
  const directory = join(tmpdir(), "watchpost-bundling");
  const path = join(directory, `config-${hash}.mjs`);
  if (!existsSync(path)) {
    mkdirSync(directory, { recursive: true });
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, path);
  }
  return path;
}

/** The script `afterBundling` runs: esbuild's API with the plugins (see the list above). */
const BUNDLE_SCRIPT = join(import.meta.dirname, "bundle-function.ts");

/** A shell word: single-quoted, with any single quote closed, escaped and reopened. */
const shellWord = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** NodejsFunction's `bundling` property: local esbuild, the options above. */
export function functionBundling(config: WatchpostConfig, entry: string): BundlingOptions {
  const inject = configModule(config);
  const commandHooks: ICommandHooks = {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      [process.execPath, "--import", "tsx", BUNDLE_SCRIPT, entry, join(outputDir, "index.mjs"), inject]
        .map(shellWord)
        .join(" "),
    ],
  };
  return {
    commandHooks,
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    platform: FUNCTION_BUNDLE.platform,
    target: FUNCTION_BUNDLE.target,
    mainFields: [...FUNCTION_BUNDLE.mainFields],
    minify: FUNCTION_BUNDLE.minify,
    sourceMap: FUNCTION_BUNDLE.sourcemap,
    sourcesContent: FUNCTION_BUNDLE.sourcesContent,
    // NodejsFunction documents a `charset` property but (aws-cdk-lib 2.276) never passes it on.
    esbuildArgs: {
      "--charset": FUNCTION_BUNDLE.charset,
      "--legal-comments": FUNCTION_BUNDLE.legalComments,
      ...Object.fromEntries(
        Object.entries(FUNCTION_BUNDLE.alias).map(([from, to]) => [`--alias:${from}`, to]),
      ),
    },
    banner: FUNCTION_BUNDLE.banner,
    externalModules: [...FUNCTION_BUNDLE.external],
    inject: [inject],
  };
}

/**
 * The same build for esbuild's JavaScript API (`build(esbuildOptions(...))`), as the command
 * NodejsFunction runs (`esbuild --bundle ENTRY --target --platform --format --outfile --minify
 * --sourcemap --sources-content=false --inject --banner:js --main-fields --charset
 * --legal-comments --alias`), plus the plugins and code splitting: `outfile` (an `.mjs` file) is
 * the entry's output, its chunks go to `chunks/` beside it.
 */
export function esbuildOptions(entry: string, outfile: string, config: WatchpostConfig) {
  return bundleOptions(entry, outfile, configModule(config));
}

/** The same, with the configuration module already written (`configModule`). */
export function bundleOptions(entry: string, outfile: string, inject: string) {
  if (!outfile.endsWith(".mjs")) throw new Error(`a function bundle is an .mjs file, not ${outfile}`);
  return {
    entryPoints: [entry],
    bundle: true,
    // Code splitting: `outfile` is the entry (the handler file), its chunks are written beside it.
    splitting: true,
    outdir: dirname(outfile),
    entryNames: basename(outfile, ".mjs"),
    chunkNames: FUNCTION_BUNDLE.chunkNames,
    outExtension: { ".js": ".mjs" },
    format: FUNCTION_BUNDLE.format,
    platform: FUNCTION_BUNDLE.platform,
    target: FUNCTION_BUNDLE.target,
    mainFields: [...FUNCTION_BUNDLE.mainFields],
    minify: FUNCTION_BUNDLE.minify,
    sourcemap: FUNCTION_BUNDLE.sourcemap,
    sourcesContent: FUNCTION_BUNDLE.sourcesContent,
    charset: FUNCTION_BUNDLE.charset,
    legalComments: FUNCTION_BUNDLE.legalComments,
    alias: { ...FUNCTION_BUNDLE.alias },
    banner: { js: FUNCTION_BUNDLE.banner },
    external: [...FUNCTION_BUNDLE.external],
    inject: [inject],
    plugins: [withoutOidNames],
  } satisfies BuildOptions;
}
