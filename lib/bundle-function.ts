/**
 * Builds one Lambda bundle with esbuild's API and the options in lib/bundling.ts, plugins and code
 * splitting included, which esbuild's command line cannot take. NodejsFunction runs it as its
 * `afterBundling` command hook, over what its command-line build wrote: OUTFILE (the asset's
 * index.mjs, the handler file) and its chunks beside it.
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
