/** The engine's fixed corpus (make-corpus.ts writes it, compare.ts reads it). */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export interface CorpusEntry {
  name: string;
  /** The input file's bytes, base64. */
  bytes: string;
  /** Key into `anchorSets`: the trust anchors it is judged against (none: no chain check). */
  anchors?: string;
  /** The instant it is judged at (ISO); the corpus's creation time when absent. */
  now?: string;
  hosts?: string[];
}

export interface Corpus {
  createdAt: string;
  /** Trust bundles, base64. */
  anchorSets: Record<string, string>;
  entries: CorpusEntry[];
}

export const CORPUS_FILE = new URL("./corpus.json.gz", import.meta.url);
export const BASELINE_FILE = new URL("./baseline.json.gz", import.meta.url);

export function loadCorpus(): Corpus {
  return JSON.parse(gunzipSync(readFileSync(CORPUS_FILE)).toString("utf8")) as Corpus;
}
