/**
 * EventBridge event-pattern matching as the Amazon EventBridge User Guide documents it, for the
 * routing tests. No maintained npm package implements it (AWS's own matcher, event-ruler, is Java),
 * so the semantics are written out here, each rule with the section it comes from:
 *
 * - "Amazon EventBridge event patterns" (eb-event-patterns.html): every field named in the pattern
 *   must match; values are arrays and match when any element does; fields the pattern does not name
 *   are ignored; matching is exact, character by character, case-sensitive.
 * - "Event patterns: arrays" (eb-event-patterns-arrays.html): when the event's value is an array,
 *   the pattern matches if the intersection of the two arrays is non-empty.
 * - "Comparison operators for use in event patterns" (eb-create-pattern-operators.html): `prefix`,
 *   `suffix`, `anything-but` (a value, a list, or a prefix/suffix/wildcard), `numeric`, `exists`,
 *   `equals-ignore-case`, `wildcard`, `cidr`, and `$or`. `anything-but` and the value operators
 *   never match a field the event does not have; `exists: false` matches only such a field.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Pattern = { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether `event` matches `pattern` (both as JSON, the way EventBridge receives them). */
export function matchesEventPattern(pattern: Pattern, event: Record<string, unknown>): boolean {
  return matchObject(pattern, event as Record<string, Json>);
}

function matchObject(pattern: Pattern, event: Record<string, Json> | undefined): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!Array.isArray(expected) || expected.length < 2) throw new Error("$or takes two or more patterns");
      if (!expected.some((alternative) => matchObject(alternative as Pattern, event))) return false;
      continue;
    }
    const present = event !== undefined && Object.hasOwn(event, key);
    const actual = present ? event[key] : undefined;
    if (isObject(expected)) {
      // A nested pattern: the event must have an object there.
      if (!isObject(actual) && !onlyAbsenceChecks(expected)) return false;
      if (!matchObject(expected, isObject(actual) ? actual : undefined)) return false;
      continue;
    }
    if (!Array.isArray(expected)) throw new Error(`pattern field ${key}: expected an array of values`);
    if (!matchLeaf(expected, present, actual)) return false;
  }
  return true;
}

/** A nested pattern whose every leaf is `exists: false` matches an event without that object. */
function onlyAbsenceChecks(pattern: Pattern): boolean {
  return Object.entries(pattern).every(([key, value]) =>
    key === "$or"
      ? false
      : isObject(value)
        ? onlyAbsenceChecks(value)
        : Array.isArray(value) && value.length > 0 && value.every((v) => isObject(v) && v.exists === false),
  );
}

function matchLeaf(values: Json[], present: boolean, actual: Json | undefined): boolean {
  const candidates: Json[] = Array.isArray(actual) ? actual : present ? [actual as Json] : [];
  return values.some((value) => {
    if (isObject(value)) return matchOperator(value, present, candidates);
    return candidates.some((candidate) => candidate === value);
  });
}

function matchOperator(operator: Record<string, Json>, present: boolean, candidates: Json[]): boolean {
  const [name, argument] = Object.entries(operator)[0] ?? [];
  if (name === "exists") return argument === present;
  if (!present) return false;
  const any = (test: (candidate: Json) => boolean) => candidates.some(test);
  switch (name) {
    case "prefix":
      return any((c) => typeof c === "string" && stringOperator(argument, c, "prefix"));
    case "suffix":
      return any((c) => typeof c === "string" && stringOperator(argument, c, "suffix"));
    case "equals-ignore-case":
      return any((c) => typeof c === "string" && c.toLowerCase() === String(argument).toLowerCase());
    case "wildcard":
      return any((c) => typeof c === "string" && wildcard(String(argument), c));
    case "numeric":
      return any((c) => typeof c === "number" && numeric(argument as Json[], c));
    case "cidr":
      return any((c) => typeof c === "string" && inCidr(String(argument), c));
    case "anything-but":
      // "anything-but" holds for the field when no value of it is excluded.
      return !candidates.some((c) => excluded(argument as Json, c)) && candidates.length > 0;
    default:
      throw new Error(`unsupported event pattern operator ${String(name)}`);
  }
}

function stringOperator(argument: Json | undefined, value: string, kind: "prefix" | "suffix"): boolean {
  const ignoreCase = isObject(argument) && typeof argument["equals-ignore-case"] === "string";
  const text = ignoreCase
    ? String((argument as Record<string, Json>)["equals-ignore-case"])
    : String(argument);
  const [a, b] = ignoreCase ? [value.toLowerCase(), text.toLowerCase()] : [value, text];
  return kind === "prefix" ? a.startsWith(b) : a.endsWith(b);
}

function excluded(argument: Json, value: Json): boolean {
  if (Array.isArray(argument)) return argument.some((item) => item === value);
  if (isObject(argument)) {
    if (typeof value !== "string") return false;
    if ("prefix" in argument) return value.startsWith(String(argument.prefix));
    if ("suffix" in argument) return value.endsWith(String(argument.suffix));
    if ("wildcard" in argument) return wildcard(String(argument.wildcard), value);
    if ("equals-ignore-case" in argument) {
      const list = argument["equals-ignore-case"];
      return (Array.isArray(list) ? list : [list]).some(
        (v) => String(v).toLowerCase() === value.toLowerCase(),
      );
    }
    throw new Error(`unsupported anything-but argument ${JSON.stringify(argument)}`);
  }
  return argument === value;
}

function numeric(conditions: Json[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const operator = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      operator === "="
        ? value === bound
        : operator === "<"
          ? value < bound
          : operator === "<="
            ? value <= bound
            : operator === ">"
              ? value > bound
              : operator === ">="
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

/** `*` matches any run of characters; `\*` and `\\` are literal. */
function wildcard(pattern: string, value: string): boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "\\" && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (char === "*") source += ".*";
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, "s").test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function inCidr(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split("/");
  const toNumber = (ip: string) => ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  if (!network || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) return false;
  const size = 32 - Number(bits ?? 32);
  return Math.floor(toNumber(network) / 2 ** size) === Math.floor(toNumber(address) / 2 ** size);
}

/**
 * The size EventBridge counts for a pattern (the serialized JSON, in bytes): PutRule's
 * EventPattern and TestEventPattern take at most 4096 characters (EventBridge API Reference,
 * PutRule, "EventPattern ... Length Constraints: Maximum length of 4096").
 */
export function eventPatternSize(pattern: Pattern): number {
  return Buffer.byteLength(JSON.stringify(pattern), "utf8");
}
