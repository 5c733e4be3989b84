/**
 * What reading PKCS#12 files may spend on key derivation: a crafted file asks for any iteration
 * count it likes, so one derivation, one file and one scan each have a budget, and running out is
 * a finding (or, for the scan's budget, a file left for a later scan), never a hang.
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
/** Total key-derivation iterations one scan spends on PKCS#12 files before deferring the rest. */
export const SCAN_BUDGET = 20_000_000;

/**
 * Key-derivation iterations left to one scan, shared by every PKCS#12 file it reads. When it runs
 * out, the remaining files are not examined in this scan (their alarms stand) rather than judged.
 */
export class KdfBudget {
  constructor(public remaining = SCAN_BUDGET) {}
}

/**
 * The scan's key-derivation budget ran out before this file: it is reported as not read in time
 * (`timeout`, which the scan treats as "not examined") and read in a later scan.
 */
export class KdfBudgetExhausted extends ReadError {
  constructor() {
    super(
      "timeout",
      `the key-derivation budget of this scan (${SCAN_BUDGET.toLocaleString("en-US")} iterations over all PKCS#12 files) is spent; the file is read in a later scan`,
    );
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
    if (this.scan) {
      if (this.scan.remaining < iterations) throw new KdfBudgetExhausted();
      this.scan.remaining -= iterations;
    }
    this.spent += iterations;
    return iterations;
  }
}
