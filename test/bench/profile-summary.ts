/**
 * Where a CPU profile's time went, as text: the functions with the most self time and the most
 * inclusive time. For the profiles `BENCH_CPU_PROF=DIR npm run bench` writes (scan-worker.ts).
 *
 *   npx tsx test/bench/profile-summary.ts DIR/scan-fleet_a_-1.cpuprofile [top]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(profile: Profile, top = 25): { self: string[]; inclusive: string[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const sampled = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...sampled.values()].reduce((a, b) => a + b, 0) || 1;
  const label = (node: ProfileNode) => {
    const where = node.callFrame.url.split("/").slice(-3).join("/");
    return `${node.callFrame.functionName || "(anonymous)"} ${where}`.trim();
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of sampled) {
    const node = byId.get(id);
    if (!node) continue;
    self.set(label(node), (self.get(label(node)) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const ancestor = byId.get(at);
      if (!ancestor) break;
      const name = label(ancestor);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + time);
    }
  }
  const list = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, time]) => `${((time / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  return { self: list(self), inclusive: list(inclusive) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: profile-summary.ts FILE.cpuprofile [top]");
    process.exit(3);
  }
  const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as Profile, Number(top ?? 25));
  console.log(`self time\n${summary.self.join("\n")}`);
  console.log(`\ninclusive time\n${summary.inclusive.join("\n")}`);
}
