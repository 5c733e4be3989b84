/**
 * The names a stored certificate must cover, from the configuration: the first `hostnamesByKey`
 * pattern that matches the object's key wins over the source's `expectedHostnames`.
 */

/**
 * What a source declares about the names its objects must cover (config/certificates.ts defines
 * it for S3 sources); structural, so the engine needs nothing from the configuration.
 */
export interface HostnameExpectations {
  expectedHostnames: string[];
  hostnamesByKey: readonly { keyPattern: string; hostnames: string[] }[];
}

/**
 * The host names an object's certificates must cover: the first `hostnamesByKey` pattern that
 * matches the key, else the source's `expectedHostnames` (empty: no hostname check).
 */
export function expectedHostnamesFor(source: HostnameExpectations, key: string): string[] {
  const match = source.hostnamesByKey.find((entry) => keyPatternToRegExp(entry.keyPattern).test(key));
  return match ? match.hostnames : source.expectedHostnames;
}

/**
 * `*` matches within one path segment, `**` across segments, `?` one character; with `captures`
 * (location parameters), `{Name}` is one non-empty part of a segment captured as the group Name;
 * the rest is literal.
 */
export function keyPatternToRegExp(pattern: string, { captures = false } = {}): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (captures && char === "{") {
      const end = pattern.indexOf("}", i);
      source += `(?<${pattern.slice(i + 1, end)}>[^/]+)`;
      i = end;
    } else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** The names to check an object's certificates against; undefined means no hostname check, not "match nothing". */
export function expectedHostsOf(source: HostnameExpectations, key: string): string[] | undefined {
  const names = expectedHostnamesFor(source, key);
  return names.length > 0 ? names : undefined;
}
