/**
 * Headless Chromium (Debian package `chromium`) for the tests that load the certificate page and
 * for the screenshots in docs/page/. Found at WATCHPOST_CHROMIUM, else /usr/bin/chromium; absent,
 * the tests skip and say why (`.ci/run` installs the package when it can).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = [
  process.env.WATCHPOST_CHROMIUM,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
].find((path): path is string => path !== undefined && path !== "" && existsSync(path));

export const CHROMIUM_ABSENT_REASON =
  "headless Chromium not found (apt-get install chromium, or set WATCHPOST_CHROMIUM): the page is not loaded in a browser";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  if (!executablePath) throw new Error(CHROMIUM_ABSENT_REASON);
  return chromium.launch({ executablePath, args: FLAGS });
}
