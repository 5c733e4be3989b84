import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATE_COMMAND, generatedFiles, REPO_ROOT } from "../../scripts/generated-files";

// The one staleness check for everything `npm run generate` writes (scripts/generated-files.ts).
const files = await generatedFiles();

describe("generated files", () => {
  it.each(files.map((file) => [file.path, file] as const))(
    "%s is what `npm run generate` writes",
    (path, file) => {
      // Prepare
      const committed = existsSync(join(REPO_ROOT, path))
        ? readFileSync(join(REPO_ROOT, path), "utf8")
        : "(missing)";

      // Act
      const generated = file.render();

      // Assess
      expect(committed, `${path} is stale: run \`${GENERATE_COMMAND}\` and commit the result`).toBe(
        generated,
      );
    },
  );

  it.each(files.map((file) => [file.path, file] as const))(
    "%s says in its first lines that it is generated, and how",
    (_path, file) => {
      // Act
      const head = file.render().split("\n").slice(0, 5).join("\n");

      // Assess
      expect(head).toContain(`\`${GENERATE_COMMAND}\``);
      expect(head).toContain(file.script);
    },
  );

  it("covers every runbook page and schema in the repository", () => {
    // Act
    const listed = new Set(files.map((file) => file.path));

    // Assess
    const onDisk = ["docs/alarms", "schemas"].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, dir)).map((name) => `${dir}/${name}`),
    );
    expect(onDisk.filter((path) => !listed.has(path))).toEqual([]);
  });
});
