/**
 * Where a CPU profile's time went, as text: the functions with the most self time and the most
 * inclusive time. For the profiles `BENCH_CPU_PROF=DIR npm run bench` writes (scan-worker.ts).
 *
 *   npx tsx test/bench/profile-summary.ts DIR/scan-first-and-second-1.cpuprofile [top]
 *
 * It also splits the time by part of the scan (summarizeByPart): reading and judging, the AWS
 * SDK, HTTP and sockets, the inventory, alarms, garbage collection, idle.
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

/** Parts of a scan, by the code a sample's stack runs through; the first that matches wins. */
const PARTS: [string, (frame: ProfileNode["callFrame"]) => boolean][] = [
  [
    "reading and judging",
    (f) =>
      /core\/certificates\/(reader|certificate|scan|evaluate|x509-fields|facts|decode-cache|formats|path|checks|algorithms|der-strictness|ca-lifecycle)/.test(
        f.url,
      ),
  ],
  ["inventory (JSON, gzip, records)", (f) => /object-inventory|certificates\/inventory\.ts|zlib/.test(f.url)],
  ["alarms", (f) => /alarm|event-publisher|lifecycle|notifications/.test(f.url)],
  ["AWS SDK (middleware, signing, XML/JSON)", (f) => /@aws-sdk|@smithy|fast-xml-parser/.test(f.url)],
  ["HTTP and sockets", (f) => /^node:(_http|net|internal\/stream|internal\/streams|http)/.test(f.url)],
];

/** Share of the profile's time per part of the scan (see PARTS), idle and garbage collection apart. */
export function summarizeByPart(profile: Profile): { part: string; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const parts = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const time = profile.timeDeltas[i] ?? 0;
    total += time;
    const node = byId.get(id);
    let part = "other";
    if (node?.callFrame.functionName === "(idle)") part = "idle";
    else if (node?.callFrame.functionName === "(garbage collector)") part = "garbage collection";
    else {
      const frames: ProfileNode["callFrame"][] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame) frames.push(frame);
      }
      part = PARTS.find(([, test]) => frames.some(test))?.[0] ?? "other";
    }
    parts.set(part, (parts.get(part) ?? 0) + time);
  });
  return [...parts]
    .map(([part, time]) => ({ part, share: time / (total || 1) }))
    .sort((a, b) => b.share - a.share);
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
  const parts = summarizeByPart(JSON.parse(readFileSync(file, "utf8")) as Profile);
  console.log(
    `\nby part\n${parts.map((p) => `${(p.share * 100).toFixed(1).padStart(5)} %  ${p.part}`).join("\n")}`,
  );
}
