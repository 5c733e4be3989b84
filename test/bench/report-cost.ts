/**
 * The cost section of docs/benchmarks.md: what a first and a nightly scan cost in AWS charges, from
 * one run's measured figures and the public unit prices.
 */
import type { BenchResults, summarize } from "./summary";

/** Lambda gives a function one vCPU's worth of CPU at 1,769 MB, and a share in proportion below. */
export const LAMBDA_MB_PER_VCPU = 1769;

export const PRICES_CHECKED = "2026-11-29";
const PRICES_REGION = "US East (N. Virginia), us-east-1";

/**
 * Unit prices, US East (N. Virginia), on-demand, as the public price pages below give them (looked up
 * on PRICES_CHECKED; DynamoDB's on-demand prices are those since its November 2024 reduction). Free
 * tiers are left out: they are shared with everything else in the account.
 */
const PRICES = {
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  s3Get: 0.0004 / 1000,
  s3List: 0.005 / 1000,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
} as const;

const PRICE_SOURCES = [
  "AWS Lambda: https://aws.amazon.com/lambda/pricing/ (x86, first tier: $0.0000166667 per GB-second, $0.20 per million requests; also AWS whitepaper *How AWS Pricing Works*, Lambda)",
  "Amazon S3: https://aws.amazon.com/s3/pricing/ (S3 Standard requests: GET $0.0004 per 1,000, LIST $0.005 per 1,000)",
  "Amazon DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand: $0.625 per million write request units, $0.125 per million read request units)",
  "Amazon SQS: https://aws.amazon.com/sqs/pricing/ (standard queues: $0.40 per million requests)",
];

const n = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function renderCost(r: BenchResults, sum: ReturnType<typeof summarize>): string[] {
  const lines: string[] = [];
  const out = (text = "") => lines.push(text);
  const first = r.firstScan;
  const second = r.secondScan;
  const latency = sum.latency;
  const inventory = r.scanWorker.inventoryItems;
  const functionMb = r.scanFunctionMemoryMb;
  const vcpu = functionMb / LAMBDA_MB_PER_VCPU;
  const gb = functionMb / 1024;
  const perObjectSeconds = (cpuMs: number, objects: number) => cpuMs / objects / 1000 / vcpu;
  const firstCpu = perObjectSeconds(first.cpuMs, r.store.objects);
  const nightlyCpu = perObjectSeconds(second.cpuMs, r.store.objects);
  const latencyFloorSeconds = latency ? 1 / latency.boundObjectsPerSecond : 0;
  out("## Cost");
  out();
  out(
    `What a scan costs in AWS charges, from this run's figures and the unit prices below, for a store of one source whose objects each hold a certificate file like this bench's. Lambda: the scan function's ${n(functionMb)} MB (${n(gb, 2)} GB, ${n(vcpu, 2)} of a vCPU); per object the larger of its CPU time on that share (measured CPU per object here ÷ ${n(vcpu, 2)}: ${n(firstCpu * 1000, 2)} ms for a first scan, ${n(nightlyCpu * 1000, 2)} ms for an unchanged object judged from the inventory) and the time the download concurrency allows at ${r.latency.injectedMs} ms per GetObject (${n(latencyFloorSeconds * 1000, 2)} ms per object); fan-out adds one invocation per ${n(500)} objects. S3: one ListObjectsV2 per 1,000 objects, one GetObject per object read, and the trust bundle once per invocation. DynamoDB: per object one inventory read (BatchGetItem reads are eventually consistent: ${n(inventory.readUnits, 2)} read unit per item of ${n(inventory.averageBytes)} bytes on average), and one write per object read (${n(inventory.writeUnits, 2)} write units per item); alarm-table writes follow findings, not objects (${first.writes.alarmSaves} in the first scan here, ${second.writes.alarmSaves} in the second). SQS: one message per batch (sent ten to a call, received and deleted by Lambda).`,
  );
  out();
  const scenarios = [
    { name: "first scan", objects: 10_000, fresh: true },
    { name: "first scan", objects: 100_000, fresh: true },
    { name: "nightly incremental scan", objects: 10_000, fresh: false },
    { name: "nightly incremental scan", objects: 100_000, fresh: false },
  ];
  out(
    "| scan | objects | Lambda GB-seconds | Lambda requests | S3 GET / LIST | DynamoDB write / read units | total |",
  );
  out("| --- | --- | --- | --- | --- | --- | --- |");
  for (const scenario of scenarios) {
    const objects = scenario.objects;
    const batches = Math.ceil(objects / 500);
    const seconds = scenario.fresh ? objects * Math.max(firstCpu, latencyFloorSeconds) : objects * nightlyCpu;
    const gbSeconds = seconds * gb;
    const invocations = 1 + batches;
    const gets = (scenario.fresh ? objects : 0) + invocations;
    const lists = Math.ceil(objects / 1000);
    const writeUnits = scenario.fresh ? objects * inventory.writeUnits : 0;
    const readUnits = objects * Math.max(0.5, inventory.readUnits);
    const sqs = batches / 10 + batches * 2;
    const dollars =
      gbSeconds * PRICES.lambdaGbSecond +
      invocations * PRICES.lambdaRequest +
      gets * PRICES.s3Get +
      lists * PRICES.s3List +
      writeUnits * PRICES.dynamoWriteUnit +
      readUnits * PRICES.dynamoReadUnit +
      sqs * PRICES.sqsRequest;
    out(
      `| ${scenario.name} | ${n(objects)} | ${n(gbSeconds, 1)} | ${n(invocations)} | ${n(gets)} / ${n(lists)} | ${n(writeUnits)} / ${n(readUnits)} | $${n(dollars, 4)} |`,
    );
  }
  out();
  out(
    `A nightly scan of an unchanged store reads no object and writes nothing: its cost is the listing and one inventory read per object. What this leaves out: storage (the inventory holds one item per object, well under a kilobyte, about $0.25 per GB-month), CloudWatch Logs and metrics, EventBridge and SNS for alarm events (per event, not per object), data transfer (none within a region), and each invocation's start-up (a cold import of the bundle, measured below, once per execution environment). Unit prices used: on demand, ${PRICES_REGION} (other regions have their own), as the pricing pages gave them on ${PRICES_CHECKED}:`,
  );
  out();
  for (const source of PRICE_SOURCES) out(`- ${source}`);
  out();

  return lines;
}
