import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { DETAIL_TYPES, toEventDetail } from "../../../functions/core/alarms/events";
import { type AlarmTransition, TRANSITION_KINDS } from "../../../functions/core/alarms/lifecycle";
import { REPO_ROOT } from "../../support/paths";

const SCHEMA_FILE = join(REPO_ROOT, "schemas", "alarm-event.schema.json");

function shippedValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as object);
}

function transition(kind: AlarmTransition["kind"]): AlarmTransition {
  return {
    id: "5f0c1f4e-8c55-4d6a-9a43-0b7f3f2b9e11",
    kind,
    fingerprint: "9c1d6e0f2b7a4c3d8e5f6a7b8c9d0e1f",
    occurrenceId: "0d7f5a86-2b1e-4f37-8a6c-1c2d3e4f5a6b",
    alarmId: "1002",
    check: "expiring",
    severity: "major",
    ...(kind === "severity-changed" ? { previousSeverity: "minor" as const } : {}),
    scope: "s3://certs/cluster-a/",
    source: "s3://certs/cluster-a/api.pem#0",
    message: "expires in 5 days",
    parameters: { Source: "s3://certs/cluster-a/api.pem#0", ServiceName: "kube-apiserver" },
    firstSeen: "2030-01-01T01:00:00.000Z",
    lastSeen: "2030-01-16T01:00:00.000Z",
    ...(kind === "cleared" ? { clearedAt: "2030-01-17T01:00:00.000Z" } : {}),
    silenced: false,
    at: "2030-01-16T01:00:00.000Z",
  };
}

describe("alarm event detail", () => {
  it.each(TRANSITION_KINDS)("builds a '%s' detail that the shipped schema accepts", (kind) => {
    // Prepare
    const validate = shippedValidator();

    // Act
    const detail = toEventDetail(transition(kind));

    // Assess
    expect(validate(detail), JSON.stringify(validate.errors)).toBe(true);
    expect(detail).toMatchObject({
      kind,
      alarmId: "1002",
      title: "Certificate expiring soon",
      doc: "docs/alarms/1002.md",
    });
    expect(DETAIL_TYPES[kind]).toMatch(/^Alarm (Raised|Severity Changed|Reminder|Cleared)$/);
  });

  it("links the runbook under a configured base URL", () => {
    // Act
    const detail = toEventDetail(transition("raised"), {
      docBaseUrl: "https://git.example.com/ops/watchpost/blob/main/",
    });

    // Assess
    expect(detail.doc).toBe("https://git.example.com/ops/watchpost/blob/main/docs/alarms/1002.md");
  });

  it("is rejected by the schema when it carries a field nobody declared (a leak would not go unnoticed)", () => {
    // Prepare
    const validate = shippedValidator();

    // Act
    const valid = validate({ ...toEventDetail(transition("raised")), sessionToken: "FwoGZXIvYXdzEXAMPLE" });

    // Assess
    expect(valid).toBe(false);
  });

  it("documents a full, schema-valid example of every detail-type and a critical-and-major rule", () => {
    // Prepare
    const validate = shippedValidator();
    const doc = readFileSync(join(REPO_ROOT, "docs", "events.md"), "utf8");

    // Act
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
      (m) => JSON.parse(m[1]!) as Record<string, unknown>,
    );
    const examples = blocks.filter((b) => typeof b["detail-type"] === "string");
    const rules = blocks.filter((b) => typeof b["detail-type"] !== "string");

    // Assess
    expect(examples.map((e) => e["detail-type"]).sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    for (const example of examples) {
      expect(example.source).toBe("watchpost");
      expect(validate(example.detail), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(rules[0]).toMatchObject({
      source: ["watchpost"],
      detail: { peakSeverity: ["critical", "major"] },
    });
  });
});
