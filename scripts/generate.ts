/**
 * `npm run generate`: writes every generated file (scripts/generated-files.ts lists them), then
 * redraws the pictures in docs/notifications/ and docs/page/ when Chromium is installed.
 * `npm run generate -- --check` writes nothing and fails naming each stale file, as
 * test/unit/generated-files.test.ts does in CI. `--no-images` skips the pictures.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATE_COMMAND, generatedFiles, REPO_ROOT } from "./generated-files";

const check = process.argv.includes("--check");
const images = !check && !process.argv.includes("--no-images");
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const stale: string[] = [];
for (const file of await generatedFiles()) {
  const path = join(REPO_ROOT, file.path);
  const wanted = file.render();
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === wanted) continue;
  if (check) {
    stale.push(file.path);
  } else {
    writeFileSync(path, wanted);
    console.log(`wrote ${file.path}`);
  }
}
if (stale.length > 0) {
  for (const path of stale) console.error(`stale: ${path} (run \`${GENERATE_COMMAND}\`)`);
  process.exit(1);
}
if (images) {
  if (existsSync(chromium)) {
    const { renderImages } = await import("./render-notification-images");
    const { renderPageImages } = await import("./render-page-images");
    for (const path of [...(await renderImages(chromium)), ...(await renderPageImages(chromium))]) {
      console.log(`wrote ${path}`);
    }
  } else {
    console.log(
      `pictures not redrawn: no Chromium at ${chromium} (set CHROMIUM_PATH, or apt-get install chromium)`,
    );
  }
}
