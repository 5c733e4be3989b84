/**
 * What reading PKCS#12 files may spend on key derivation: a crafted file asks for any iteration
 * count it likes, so one derivation, one file and one scan each have a budget. Running out of the
 * scan's budget, or of its time for key derivation, defers a file to a later scan: it is not
 * examined, so it gets no finding and its alarms stand — a budget stops work, it never says
 * anything about a certificate.
 *
 * Crafted files must not starve the files whose password is known: the scan reads PKCS#12 files
 * in the order of what they declare they cost (core/scan/read-files.ts), cheapest first, and files that ask for
 * more than tools write per derivation draw on a pool of their own, so however many of them a
 * store holds, the files real tools wrote keep the main pool.
 */
import { ReadError } from "./read-error";

/**
 * One iteration count beyond this is refused. Tools write 1,024 to 10,000 (OpenSSL 2,048, Java
 * keytool and Windows 10,000, Bouncy Castle 1,024); hardening guides go to 100,000. A crafted file
 * asking for 1,000,000 SHA-512 iterations used to cost 5-13 s; it is now refused at once.
 */
export const MAX_ITERATIONS = 250_000;
/** Total key-derivation iterations spent on one file (MAC, keys and IVs, both empty passwords). */
export const FILE_BUDGET = 1_000_000;
/** Most iterations per derivation that tools and hardening guides write (see MAX_ITERATIONS). */
export const TYPICAL_ITERATIONS = 100_000;
/** Iterations one scan spends on files whose derivations stay within TYPICAL_ITERATIONS. */
export const SCAN_BUDGET = 16_000_000;
/** Iterations one scan spends on files asking for more per derivation (up to MAX_ITERATIONS). */
export const UNUSUAL_SCAN_BUDGET = 4_000_000;
/** Key derivation starts no new file after this long in one scan: the Lambda has other work. */
export const KDF_TIME_BUDGET_MS = 120_000;

/**
 * Key-derivation iterations and time left to one scan, shared by every PKCS#12 file it reads. When
 * a pool runs out, or the time does, the files still waiting are deferred to a later scan.
 */
export class KdfBudget {
  private readonly deadline: number;

  constructor(
    /** Iterations left for files within TYPICAL_ITERATIONS per derivation. */
    public remaining = SCAN_BUDGET,
    /** Iterations left for files asking for more. */
    public unusualRemaining = UNUSUAL_SCAN_BUDGET,
    options: { timeMs?: number; clock?: () => number } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.deadline = this.clock() + (options.timeMs ?? KDF_TIME_BUDGET_MS);
  }

  private readonly clock: () => number;

  /**
   * Why a file declaring `cost` iterations in all, `peak` at most in one derivation, must wait for
   * a later scan; undefined when it may be read now.
   */
  deferral(cost: { total: number; peak: number }): string | undefined {
    if (this.clock() > this.deadline)
      return `this scan's time for PKCS#12 key derivation (${KDF_TIME_BUDGET_MS / 1000} s) is spent`;
    const unusual = cost.peak > TYPICAL_ITERATIONS;
    const left = unusual ? this.unusualRemaining : this.remaining;
    if (cost.total <= left) return undefined;
    return unusual
      ? `this scan's key-derivation budget for files asking for more than ${TYPICAL_ITERATIONS.toLocaleString("en-US")} iterations per derivation (${UNUSUAL_SCAN_BUDGET.toLocaleString("en-US")} in all) is spent`
      : `this scan's key-derivation budget (${SCAN_BUDGET.toLocaleString("en-US")} iterations over all PKCS#12 files) is spent`;
  }

  /** Takes `iterations` from the pool a derivation of that size draws on; false when it is short. */
  take(iterations: number): boolean {
    if (iterations > TYPICAL_ITERATIONS) {
      if (this.unusualRemaining < iterations) return false;
      this.unusualRemaining -= iterations;
    } else {
      if (this.remaining < iterations) return false;
      this.remaining -= iterations;
    }
    return true;
  }
}

/**
 * The scan's key-derivation budget ran out while this file was read: it is not examined in this
 * scan (no finding, its alarms stand) and is read in a later one.
 */
export class KdfBudgetExhausted extends Error {
  constructor(readonly detail = "this scan's key-derivation budget is spent") {
    super(detail);
    this.name = "KdfBudgetExhausted";
  }
}

/** One file's derivations, counted against the file's and the scan's budgets. */
export class Budget {
  private spent = 0;
  constructor(
    private readonly scan: KdfBudget | undefined,
    /** Iterations this file may spend in all; `watchpost push` tries several passwords, and allows more. */
    private readonly fileBudget = FILE_BUDGET,
  ) {}
  spend(count: number | bigint | undefined, what: string): number {
    const iterations = count === undefined ? Number.NaN : Number(count);
    if (!Number.isInteger(iterations) || iterations < 1) {
      throw new ReadError("bad-der", `the ${what} iteration count is missing or not a positive integer`);
    }
    if (iterations > MAX_ITERATIONS || this.spent + iterations > this.fileBudget) {
      throw new ReadError(
        "unsupported-format",
        `the ${what} iteration count (${count}) is beyond what any PKCS#12 tool writes (the reader's limit is ${MAX_ITERATIONS.toLocaleString("en-US")} per derivation and ${this.fileBudget.toLocaleString("en-US")} per file)`,
      );
    }
    if (this.scan && !this.scan.take(iterations)) throw new KdfBudgetExhausted();
    this.spent += iterations;
    return iterations;
  }
}
