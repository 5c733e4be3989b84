/**
 * The engine decodes with the asn1js that @peculiar/asn1-schema loads, and its speed depends on
 * which: asn1js 4.0 decodes certificates about 3.2 times slower than 3.1 (issue 28; `npm run bench`
 * measures both on its store, `asn1jsV4VsEngineDecodeTime`). package.json pins asn1-schema's copy
 * to 3.1.0 (`overrides`), while the tests' own PKI builder (pkijs) uses asn1js 4; this says which
 * one the engine gets, so that a dependency update that moves it fails here, not only in a bench.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

describe("the asn1js the engine decodes with", () => {
  it("is the 3.1.0 that package.json pins for @peculiar/asn1-schema", () => {
    // Prepare: resolve asn1js as @peculiar/asn1-schema itself resolves it.
    const fromSchema = createRequire(createRequire(import.meta.url).resolve("@peculiar/asn1-schema"));
    const manifest = fromSchema.resolve("asn1js/package.json");

    // Act
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    const pinned = (
      JSON.parse(readFileSync("package.json", "utf8")) as {
        overrides: Record<string, Record<string, string>>;
      }
    ).overrides["@peculiar/asn1-schema"]?.asn1js;

    // Assess
    expect({ version, pinned }).toEqual({ version: "3.1.0", pinned: "3.1.0" });
  });
});
