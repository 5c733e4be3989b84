/**
 * The rooms of functions/ (docs/architecture.md, "The rooms"), enforced: no import cycles, no
 * import from a lower room into a higher one, the certificate engine importing nothing but itself
 * and the shared vocabulary, and no AWS SDK in functions/core. Imports are read with the
 * TypeScript compiler's own pre-processor, type-only and dynamic imports included.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");
const FUNCTIONS = path.join(ROOT, "functions");

/** Lowest first: a file may import from its own room and from rooms before it, never after. */
const ROOMS: readonly { room: string; paths: readonly string[] }[] = [
  {
    room: "vocabulary",
    paths: [
      "core/contracts.ts",
      "core/alarm-ids.ts",
      "core/errors.ts",
      "core/concurrency.ts",
      "core/visible-text.ts",
      "core/metrics.ts",
    ],
  },
  { room: "engine", paths: ["core/certificates/"] },
  {
    room: "domain",
    paths: [
      "core/config/",
      "core/alarms/",
      "core/endpoints/",
      "core/hosts/",
      "core/credentials/",
      "core/push/",
      "core/notifications/",
      "core/aws-certificates/",
      "core/accounts/",
    ],
  },
  { room: "scan", paths: ["core/scan/"] },
  { room: "report", paths: ["core/report/"] },
  { room: "adapters", paths: ["adapters/"] },
  { room: "handlers", paths: ["handlers/"] },
];

function roomOf(file: string): number {
  const relative = path.relative(FUNCTIONS, file).split(path.sep).join("/");
  const rank = ROOMS.findIndex(({ paths }) =>
    paths.some((p) => (p.endsWith("/") ? relative.startsWith(p) : relative === p)),
  );
  if (rank < 0)
    throw new Error(`functions/${relative} is in no room: add it to ROOMS and docs/architecture.md`);
  return rank;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [full] : [];
  });
}

function resolveRelative(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`${path.relative(ROOT, from)} imports ${specifier}, which does not resolve`);
}

interface Module {
  file: string;
  local: string[];
  packages: string[];
}

/** What a file imports, as written: static, type-only (`import type`, `export type … from`) and dynamic. */
function specifiersOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
}

/**
 * Every cycle a depth-first search closes (an edge back to a file still open), each as the path
 * around it. A graph has a cycle exactly when such a search meets a back edge, so an empty list
 * means no cycle at all.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>, label = (f: string) => f): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open")
        cycles.push([...stack.slice(stack.indexOf(next)), next].map(label).join(" → "));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

const modules: Module[] = sourceFiles(FUNCTIONS).map((file) => {
  const specifiers = specifiersOf(readFileSync(file, "utf8"));
  return {
    file,
    local: specifiers.filter((s) => s.startsWith(".")).map((s) => resolveRelative(file, s)),
    packages: specifiers.filter((s) => !s.startsWith(".")),
  };
});

const name = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");

describe("the rooms of functions/", () => {
  it("puts every file in a room", () => {
    // Prepare / Act
    const unplaced = modules.filter((m) => {
      try {
        roomOf(m.file);
        return false;
      } catch {
        return true;
      }
    });

    // Assess
    expect(unplaced.map((m) => name(m.file))).toEqual([]);
  });

  it("imports only from the same room or a lower one", () => {
    // Prepare / Act
    const upward = modules.flatMap((m) =>
      m.local
        .filter((target) => roomOf(target) > roomOf(m.file))
        .map(
          (target) =>
            `${name(m.file)} (${ROOMS[roomOf(m.file)]?.room}) → ${name(target)} (${ROOMS[roomOf(target)]?.room})`,
        ),
    );

    // Assess
    expect(upward).toEqual([]);
  });

  it("keeps the certificate engine pure: bytes or certificates in, facts and findings out", () => {
    // Prepare
    const engine = ROOMS.findIndex((r) => r.room === "engine");

    // Act: anything the engine imports beyond itself and the shared vocabulary
    const reaching = modules
      .filter((m) => roomOf(m.file) === engine)
      .flatMap((m) =>
        m.local.filter((target) => roomOf(target) > engine).map((t) => `${name(m.file)} → ${name(t)}`),
      );

    // Assess
    expect(reaching).toEqual([]);
  });

  it("finds a cycle closed by a type-only import or a type re-export", () => {
    // Prepare: three files as they would be written, resolved by name
    const files: Record<string, string> = {
      "state.ts": 'import type { Decision } from "./decide";\nexport interface State { at: string }',
      "decide.ts": 'import { merge } from "./content";\nexport interface Decision { state: State }',
      "content.ts": 'export type { State } from "./state";\nexport function merge() {}',
      "alone.ts": 'import type { State } from "./state";',
    };
    const graph = new Map(
      Object.entries(files).map(([file, text]) => [
        file,
        specifiersOf(text).map((specifier) => `${specifier.replace("./", "")}.ts`),
      ]),
    );

    // Act
    const cycles = importCycles(graph);

    // Assess
    expect(cycles).toEqual(["state.ts → decide.ts → content.ts → state.ts"]);
  });

  it("has no import cycle, type-only imports included", () => {
    // Prepare
    const graph = new Map(modules.map((m) => [m.file, m.local]));

    // Act
    const cycles = importCycles(graph, name);

    // Assess
    expect(cycles).toEqual([]);
  });

  it("keeps the AWS SDK out of functions/core", () => {
    // Prepare / Act
    const sdk = modules
      .filter((m) => name(m.file).startsWith("functions/core/"))
      .flatMap((m) =>
        m.packages
          .filter((p) => p.startsWith("@aws-sdk/") || p === "aws-sdk")
          .map((p) => `${name(m.file)} → ${p}`),
      );

    // Assess
    expect(sdk).toEqual([]);
  });
});
