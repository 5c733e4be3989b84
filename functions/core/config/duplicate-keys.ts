/**
 * Keys written twice in one object. JSON.parse silently keeps the last, so a second "certificates"
 * block pasted below the first would replace it. `text` must already be valid JSON.
 */
export function duplicateKeys(text: string): { path: PropertyKey[]; key: string }[] {
  const found: { path: PropertyKey[]; key: string }[] = [];
  // One frame per open container: its keys so far (objects) or its next index (arrays).
  const stack: { keys?: Set<string>; index: number; path: PropertyKey[] }[] = [];
  let pendingKey: string | undefined;
  let expectKey = false;
  const childPath = () => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return top.keys ? [...top.path, pendingKey ?? ""] : [...top.path, top.index];
  };
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) found.push({ path: top.path, key });
        top.keys.add(key);
        pendingKey = key;
        expectKey = false;
      }
      i = end;
    } else if (char === "{" || char === "[") {
      stack.push({ ...(char === "{" ? { keys: new Set<string>() } : {}), index: 0, path: childPath() });
      expectKey = char === "{";
    } else if (char === "}" || char === "]") {
      stack.pop();
    } else if (char === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index += 1;
    }
  }
  return found;
}
