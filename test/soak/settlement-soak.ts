/**
 * The settlement model (test/support/settlement-model.ts) run long: seed after seed until the time
 * or the number of seeds is spent, printing each seed as it goes; on a failure, fast-check shrinks
 * the interleaving and this prints the seed, the replay path and the shrunk command list.
 *
 *   npm run soak                                  # 10 minutes of random seeds
 *   SOAK_MINUTES=60 npm run soak                  # longer
 *   SOAK_SEEDS=20 SOAK_RUNS=50 npm run soak       # 20 seeds of 50 interleavings each
 *   SOAK_SEED=1234 npm run soak                   # replay one seed (add SOAK_PATH=… for one case)
 *   SOAK_COMMANDS=60 npm run soak                 # longer interleavings (default 40)
 *
 * Interleavings that run two invocations at once meet on real I/O against the emulators, so a
 * replay of such a case may interleave differently; the "meet" points (before a decision write,
 * before publishing) are deterministic.
 */
import fc from "fast-check";
import { coverage, settlementProperty, startEmulators } from "../support/settlement-model";

const env = process.env;
const minutes = Number(env.SOAK_MINUTES ?? 10);
const maxSeeds = env.SOAK_SEEDS ? Number(env.SOAK_SEEDS) : Number.POSITIVE_INFINITY;
const runsPerSeed = Number(env.SOAK_RUNS ?? 20);
const maxCommands = Number(env.SOAK_COMMANDS ?? 40);
const replay = env.SOAK_SEED === undefined ? undefined : Number(env.SOAK_SEED);

async function main(): Promise<number> {
  const emulators = await startEmulators();
  const deadline = Date.now() + minutes * 60_000;
  const tried: number[] = [];
  try {
    for (let n = 0; n < maxSeeds && (replay !== undefined ? n === 0 : Date.now() < deadline); n++) {
      const seed = replay ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
      tried.push(seed);
      const started = Date.now();
      const result = await fc.check(settlementProperty(emulators, maxCommands), {
        seed,
        numRuns: runsPerSeed,
        ...(env.SOAK_PATH ? { path: env.SOAK_PATH } : {}),
      });
      if (result.failed) {
        console.log(
          `seed ${seed}: FAILED after ${result.numRuns} interleaving(s), shrunk ${result.numShrinks} time(s)`,
        );
        console.log(`replay: SOAK_SEED=${seed} SOAK_PATH=${result.counterexamplePath} npm run soak`);
        console.log(`shrunk interleaving: ${fc.stringify(result.counterexample)}`);
        console.log(
          `why: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
        );
        return 1;
      }
      console.log(
        `seed ${seed}: ${result.numRuns} interleavings passed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await emulators.stop();
  }
  console.log(`seeds tried: ${tried.join(" ")}`);
  console.log(`exercised: ${JSON.stringify(coverage)}`);
  return 0;
}

process.exitCode = await main();
