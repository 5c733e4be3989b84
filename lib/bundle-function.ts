/**
 * Builds one Lambda bundle with esbuild's API and the options in lib/bundling.ts, plugins
 * included, which esbuild's command line cannot take. NodejsFunction runs it as its
 * `afterBundling` command hook, in place of what its command-line build wrote.
 *
 * `node --import tsx lib/bundle-function.ts ENTRY OUTFILE CONFIG_MODULE`
 */
import { build } from "esbuild";
import { bundleOptions } from "./bundling";

const [entry, outfile, inject] = process.argv.slice(2);
if (!entry || !outfile || !inject) {
  process.stderr.write("usage: bundle-function.ts ENTRY OUTFILE CONFIG_MODULE\n");
  process.exit(2);
}
await build({ ...bundleOptions(entry, outfile, inject), logLevel: "warning" });
