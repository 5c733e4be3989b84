/**
 * Amazon SNS subscription filter policies (scope MessageAttributes, the default) as the Amazon SNS
 * Developer Guide documents them, for the routing tests. No maintained npm package implements
 * them, so each rule is written out here with the section it comes from:
 *
 * - "Amazon SNS message filtering" (message-filtering.html): a subscription without a filter
 *   policy receives every message published to its topic.
 * - "Amazon SNS subscription filter policies" (sns-subscription-filter-policies.html): every
 *   property name in the policy must match a message attribute; for each, at least one of its
 *   values must match the attribute's value.
 * - "AND/OR logic" (and-or-logic.html): keys are ANDed, values within a key ORed, and `$or` takes
 *   alternative sub-policies.
 * - "Key matching" (attribute-key-matching.html): `{"exists": true}` matches messages that carry
 *   the attribute; `{"exists": false}` matches messages that do not, and "only matches when at least
 *   one attribute exists. An empty set of attributes results in the filter not matching."
 * - "String value matching" and "Numeric value matching": exact values, `prefix`, `suffix`,
 *   `anything-but` (values or a prefix), `equals-ignore-case`, `numeric` ranges; a `String.Array`
 *   attribute matches when any of its elements does.
 */

export interface SnsMessageAttribute {
  DataType: "String" | "String.Array" | "Number" | "Binary";
  StringValue?: string;
}
export type SnsMessageAttributes = Record<string, SnsMessageAttribute>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type FilterPolicy = { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a subscription with `policy` (undefined: none) receives a message with `attributes`. */
export function deliversMessage(
  policy: FilterPolicy | undefined,
  attributes: SnsMessageAttributes = {},
): boolean {
  if (policy === undefined) return true;
  return matchPolicy(policy, attributes);
}

function matchPolicy(policy: FilterPolicy, attributes: SnsMessageAttributes): boolean {
  const carriesAny = Object.keys(attributes).length > 0;
  for (const [key, expected] of Object.entries(policy)) {
    if (key === "$or") {
      if (!Array.isArray(expected)) throw new Error("$or takes a list of filter policies");
      if (!expected.some((alternative) => matchPolicy(alternative as FilterPolicy, attributes))) return false;
      continue;
    }
    if (!Array.isArray(expected)) throw new Error(`filter policy key ${key}: expected an array of values`);
    const attribute = attributes[key];
    const values = attribute ? attributeValues(attribute) : undefined;
    const matched = expected.some((value) => {
      if (isObject(value) && "exists" in value) {
        return value.exists === true ? attribute !== undefined : attribute === undefined && carriesAny;
      }
      if (!values) return false;
      return values.some((actual) => matchValue(value, actual));
    });
    if (!matched) return false;
  }
  return true;
}

function attributeValues(attribute: SnsMessageAttribute): (string | number)[] {
  const text = attribute.StringValue ?? "";
  if (attribute.DataType === "Number") return [Number(text)];
  if (attribute.DataType === "String.Array") {
    const parsed = JSON.parse(text) as unknown[];
    return parsed.filter((v): v is string | number => typeof v === "string" || typeof v === "number");
  }
  return [text];
}

function matchValue(expected: Json, actual: string | number): boolean {
  if (!isObject(expected)) return expected === actual;
  const [operator, argument] = Object.entries(expected)[0] ?? [];
  switch (operator) {
    case "prefix":
      return typeof actual === "string" && actual.startsWith(String(argument));
    case "suffix":
      return typeof actual === "string" && actual.endsWith(String(argument));
    case "equals-ignore-case":
      return typeof actual === "string" && actual.toLowerCase() === String(argument).toLowerCase();
    case "numeric":
      return typeof actual === "number" && numeric(argument as Json[], actual);
    case "anything-but": {
      if (Array.isArray(argument)) return !argument.some((value) => value === actual);
      if (isObject(argument) && "prefix" in argument)
        return typeof actual === "string" && !actual.startsWith(String(argument.prefix));
      return argument !== actual;
    }
    default:
      throw new Error(`unsupported filter policy operator ${String(operator)}`);
  }
}

function numeric(conditions: Json[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = Number(conditions[i + 1]);
    const ok = {
      "=": value === bound,
      "<": value < bound,
      "<=": value <= bound,
      ">": value > bound,
      ">=": value >= bound,
    }[String(conditions[i])];
    if (!ok) return false;
  }
  return true;
}
