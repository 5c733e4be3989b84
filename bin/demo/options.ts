/** The command line of `npm start` (bin/demo.ts). Mistakes are UsageErrors: exit status 3. */
import { UsageError } from "../cli/io";
import { parseCommandLine } from "../cli/options";

export const DEMO_USAGE = `usage: npm start [-- [--certs DIR [--config FILE]] [--verbose]]

Runs watchpost's own check functions on local stand-ins for S3, DynamoDB, STS and EventBridge,
all on 127.0.0.1 inside this process: no AWS account, nothing left running afterwards.

  (no options)     a sample store generated now: every kind of finding, a renewal that clears
                   its alarm on the S3 event, and a credential check with a known and an unknown key
  --certs DIR      scan your own files instead: every file under DIR goes into the local bucket
                   (key = its path relative to DIR; a file no configured source would see is put
                   under the first source's prefix)
  --config FILE    your watchpost.config.json, validated as 'npx cdk deploy' validates it
                   (default with --certs: one source, the whole bucket, no CA, no host names)
  --page FILE      where to write the certificate page (default: certificates.html in a new
                   temporary directory; the path is printed)
  --verbose        also print the functions' own log lines and each event's full detail
  --help           this text
`;

export interface DemoOptions {
  help: boolean;
  verbose: boolean;
  certs?: string;
  config?: string;
  page?: string;
}

export function parseDemoArgs(argv: string[]): DemoOptions {
  const { values, positionals } = parseCommandLine(argv, {
    certs: { type: "string" },
    config: { type: "string" },
    page: { type: "string" },
    verbose: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}' (files go in a directory named by --certs)`,
    );
  }
  for (const flag of ["certs", "config", "page"] as const) {
    if (values[flag] !== undefined && values[flag].trim() === "")
      throw new UsageError(`--${flag} needs a path`);
  }
  if (values.config !== undefined && values.certs === undefined) {
    throw new UsageError("--config FILE needs --certs DIR: the certificate files to put in the local bucket");
  }
  return {
    help: values.help ?? false,
    verbose: values.verbose ?? false,
    ...(values.certs !== undefined ? { certs: values.certs } : {}),
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.page !== undefined ? { page: values.page } : {}),
  };
}
