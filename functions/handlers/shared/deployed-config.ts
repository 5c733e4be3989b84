/**
 * The validated configuration as deployed. The stack compiles it into each function bundle as a
 * string constant (an esbuild `inject` module that exports `__WATCHPOST_CONFIG__`, see
 * lib/bundling.ts): no size limit, no fetch at cold start, no permission to grant, and code and
 * configuration always change together.
 * It is validated again here, once per execution environment, so a hand-edited bundle or a
 * schema change between synth and run fails loudly instead of half-working.
 */
import { parseConfig, type WatchpostConfig } from "../../core/config";

/** Replaced at bundle time by the export of the module lib/bundling.ts injects. */
declare const __WATCHPOST_CONFIG__: string | undefined;

export const CONFIG_DEFINE = "__WATCHPOST_CONFIG__";

let cached: WatchpostConfig | undefined;

export function deployedConfig(): WatchpostConfig {
  if (cached) return cached;
  // Outside a bundle (tests) the name resolves to a global property, if one was set.
  const encoded = typeof __WATCHPOST_CONFIG__ === "string" ? __WATCHPOST_CONFIG__ : undefined;
  if (encoded === undefined) {
    throw new Error(
      "No watchpost configuration was compiled into this bundle; deploy it with the watchpost stack.",
    );
  }
  cached = parseConfig(JSON.parse(encoded), "deployed configuration");
  return cached;
}

/** What the stack compiles in: the configuration as JSON text. */
export function encodeConfig(config: WatchpostConfig): string {
  return JSON.stringify(config);
}
