/**
 * The RFC 7292 appendix B.2 key derivation (the PKCS#12 MAC key and the legacy 3DES keys), run on
 * a worker thread. It is a loop of one hash per iteration that no node:crypto call performs in
 * native code, so on the main thread a crafted iteration count stopped the whole scan (1,000,000
 * SHA-512 iterations: 5-13 s). The worker is started on first use, kept for the life of the
 * process, and does not keep the process alive while idle. The worker's code is a string, not a
 * file, so the bundled Lambda function needs nothing beside its one bundle.
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
function repeat(source, v) {
  const out = Buffer.alloc(source.length === 0 ? 0 : v * Math.ceil(source.length / v));
  for (let i = 0; i < out.length; i += 1) out[i] = source[i % source.length];
  return out;
}
parentPort.on("message", ({ id, name, v, u, kind, password, salt, iterations, length }) => {
  try {
    const D = Buffer.alloc(v, kind);
    const I = Buffer.concat([repeat(Buffer.from(salt), v), repeat(Buffer.from(password), v)]);
    const out = Buffer.alloc(length);
    for (let produced = 0; produced < length; produced += u) {
      let A = createHash(name).update(D).update(I).digest();
      for (let r = 1; r < iterations; r += 1) A = createHash(name).update(A).digest();
      A.copy(out, produced, 0, Math.min(u, length - produced));
      if (produced + u >= length) break;
      const B = repeat(A, v);
      for (let j = 0; j < I.length; j += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k -= 1) {
          const sum = I[j + k] + B[k] + carry;
          I[j + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
    parentPort.postMessage({ id, key: out });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
});
`;

export interface KdfRequest {
  /** node:crypto hash name (sha1, sha256, ...), its block size `v` and output size `u` in bytes. */
  name: string;
  v: number;
  u: number;
  /** 1: encryption key, 2: IV, 3: MAC key (RFC 7292 B.3). */
  kind: 1 | 2 | 3;
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  length: number;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (key: Buffer) => void; reject: (error: Error) => void }>();

function workerThread(): Worker {
  if (worker) return worker;
  const started = new Worker(WORKER_SOURCE, { eval: true });
  started.on("message", ({ id, key, error }: { id: number; key?: Uint8Array; error?: string }) => {
    const request = pending.get(id);
    if (!request) return;
    pending.delete(id);
    if (pending.size === 0) started.unref();
    if (key) request.resolve(Buffer.from(key));
    else request.reject(new Error(error ?? "key derivation failed"));
  });
  const fail = (error: Error) => {
    worker = undefined;
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  };
  started.on("error", fail);
  started.on("exit", (code) => fail(new Error(`the key-derivation worker stopped (exit code ${code})`)));
  started.unref();
  worker = started;
  return started;
}

/** Derives a key of `length` bytes on the worker thread; the main thread stays free meanwhile. */
export function pkcs12KdfOffThread(request: KdfRequest): Promise<Buffer> {
  const thread = workerThread();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Held while a derivation is under way, so a CLI run waits for it; released when idle.
    thread.ref();
    thread.postMessage({ id, ...request });
  });
}
