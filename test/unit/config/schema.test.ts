import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../../functions/core/config";

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(configJsonSchema());
}

describe("schemas/watchpost.config.schema.json", () => {
  it("accepts the example configuration, so editors do not flag it", () => {
    // Prepare
    const validate = validator();

    // Act
    const ok = validate(JSON.parse(readFileSync("watchpost.config.json", "utf8")));

    // Assess
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("flags in the editor what the stack would reject: unknown keys and bad severities", () => {
    // Prepare
    const validate = validator();

    // Act
    const ok = validate({
      certificates: { sources: [{ prefix: "certs/" }] },
      notifications: { email: [{ address: "ops@example.com", minimumSeverity: "high" }] },
      unknown: true,
    });

    // Assess
    expect(ok).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths).toContain("/notifications/email/0/minimumSeverity enum");
    expect(paths).toContain(" additionalProperties");
  });
});
