/**
 * The routing tests judge rules and subscriptions with test/support/event-pattern.ts and
 * sns-filter-policy.ts. These pin both to the examples of the AWS documentation they implement,
 * so a matcher that drifted from AWS's semantics fails here, not silently in a routing verdict.
 */
import { describe, expect, it } from "vitest";
import { eventPatternSize, matchesEventPattern } from "../support/event-pattern";
import { deliversMessage, type SnsMessageAttributes } from "../support/sns-filter-policy";

// The example event of "Amazon EventBridge event patterns" (EC2 state change), trimmed.
const ec2Event = {
  source: "aws.ec2",
  "detail-type": "EC2 Instance State-change Notification",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated", "c-count": 5, location: null },
};

describe("EventBridge event patterns (EventBridge User Guide)", () => {
  it.each([
    [
      "every named field must match (eb-event-patterns)",
      { source: ["aws.ec2"], detail: { state: ["terminated"] } },
      true,
    ],
    ["values within a field are ORed", { detail: { state: ["running", "terminated"] } }, true],
    ["matching is case-sensitive", { detail: { state: ["Terminated"] } }, false],
    ["a field the event lacks does not match a value", { detail: { missing: ["x"] } }, false],
    [
      "array intersection (eb-event-patterns-arrays)",
      { resources: ["x", "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"] },
      true,
    ],
    ["null matches null", { detail: { location: [null] } }, true],
    ["prefix", { detail: { state: [{ prefix: "term" }] } }, true],
    ["suffix", { detail: { state: [{ suffix: "ated" }] } }, true],
    ["equals-ignore-case", { detail: { state: [{ "equals-ignore-case": "TERMINATED" }] } }, true],
    ["anything-but a list", { detail: { state: [{ "anything-but": ["stopped", "terminated"] }] } }, false],
    [
      "anything-but holds only for a present field",
      { detail: { missing: [{ "anything-but": "x" }] } },
      false,
    ],
    ["anything-but a prefix", { detail: { state: [{ "anything-but": { prefix: "run" } }] } }, true],
    ["numeric range", { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } }, true],
    ["numeric range, out of it", { detail: { "c-count": [{ numeric: [">", 5] }] } }, false],
    ["exists true", { detail: { state: [{ exists: true }] } }, true],
    ["exists false on an absent field", { detail: { missing: [{ exists: false }] } }, true],
    ["exists false on a present field", { detail: { state: [{ exists: false }] } }, false],
    ["wildcard", { detail: { state: [{ wildcard: "t*d" }] } }, true],
    ["$or: one alternative matches", { detail: { $or: [{ state: ["running"] }, { "c-count": [5] }] } }, true],
    ["$or: none matches", { detail: { $or: [{ state: ["running"] }, { "c-count": [6] }] } }, false],
  ])("%s", (_name, pattern, expected) => {
    // Act / Assess
    expect(matchesEventPattern(pattern as never, ec2Event)).toBe(expected);
  });

  it("measures a pattern as its serialized characters", () => {
    expect(eventPatternSize({ source: ["aws.s3"] })).toBe('{"source":["aws.s3"]}'.length);
  });
});

const attrs = (values: Record<string, string>): SnsMessageAttributes =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { DataType: "String", StringValue: v }]));

describe("SNS subscription filter policies (SNS Developer Guide)", () => {
  it("delivers every message to a subscription without a filter policy (message-filtering)", () => {
    expect(deliversMessage(undefined, {})).toBe(true);
    expect(deliversMessage(undefined, attrs({ store: "example_corp" }))).toBe(true);
  });

  it.each([
    [
      "values are ORed (and-or-logic)",
      { store: ["example_corp", "other"] },
      attrs({ store: "example_corp" }),
      true,
    ],
    [
      "keys are ANDed",
      { store: ["example_corp"], event: ["order_placed"] },
      attrs({ store: "example_corp" }),
      false,
    ],
    ["exists true (attribute-key-matching)", { store: [{ exists: true }] }, attrs({ store: "fans" }), true],
    [
      "exists false, other attributes present",
      { store: [{ exists: false }] },
      attrs({ customer: "x" }),
      true,
    ],
    ["exists false, attribute present", { store: [{ exists: false }] }, attrs({ store: "fans" }), false],
    ["exists false on a message with no attribute at all", { store: [{ exists: false }] }, {}, false],
    [
      "prefix (string-value-matching)",
      { customer_interests: [{ prefix: "bas" }] },
      attrs({ customer_interests: "baseball" }),
      true,
    ],
    [
      "anything-but",
      { store: [{ "anything-but": ["example_corp"] }] },
      attrs({ store: "example_corp" }),
      false,
    ],
    [
      "anything-but a prefix",
      { event: [{ "anything-but": { prefix: "order-" } }] },
      attrs({ event: "cancel" }),
      true,
    ],
    [
      "a String.Array attribute matches when an element does",
      { interests: ["rugby"] },
      { interests: { DataType: "String.Array", StringValue: '["soccer","rugby"]' } },
      true,
    ],
    [
      "numeric (numeric-value-matching)",
      { price_usd: [{ numeric: [">=", 100, "<", 200] }] },
      { price_usd: { DataType: "Number", StringValue: "150" } },
      true,
    ],
    ["$or", { $or: [{ store: ["a"] }, { event: ["b"] }] }, attrs({ event: "b" }), true],
  ])("%s", (_name, policy, attributes, expected) => {
    expect(deliversMessage(policy as never, attributes as SnsMessageAttributes)).toBe(expected);
  });
});
