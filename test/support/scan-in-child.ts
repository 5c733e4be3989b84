/**
 * Run in a child process with a small heap (`node --max-old-space-size=N --import tsx`): crafts
 * `copies` certificates whose subject and issuer hold `attributes` name attributes each, scans
 * them at once through the engine, and prints what came out and the peak memory seen. A blow-up
 * ends the child with a heap-out-of-memory crash instead of a line of JSON.
 */
import { DEFAULT_POLICY } from "../../functions/core/certificates/evaluate";
import { scanFiles } from "../../functions/core/scan/read-files";
import { cn, craftCertificate } from "./hostile-corpus";

const [attributes = "30000", copies = "2"] = process.argv.slice(2);
const subject = Array.from({ length: Number(attributes) }, (_, i) => cn(`n${i}`));
const der = craftCertificate({ subject });
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);

const result = await scanFiles(
  Array.from({ length: Number(copies) }, (_, i) => ({
    file: `crafted-${i}.der`,
    explicit: true,
    load: async () => ({ ok: true as const, bytes: der }),
  })),
  { policy: { ...DEFAULT_POLICY, now: new Date() } },
);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    bytes: der.length,
    findings: result.findings.map((f) => [f.check, f.details?.reason, f.message]),
    peakRssMb: Math.round(peak / 1e6),
  }),
);
