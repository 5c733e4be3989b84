/**
 * PEM armour (RFC 7468, plus what real files carry): blocks are found by their markers wherever
 * they are, so `openssl x509 -text` output, `subject=` lines, bag attributes and CRLF endings
 * around them do not matter. A marker-based scan (not line-based) also reads PEM that lost its
 * line breaks, e.g. pasted into an environment variable.
 */

export interface PemBlock {
  /** 1-based position among all PEM blocks of the file, as reported to operators. */
  number: number;
  label: string;
  /** Decoded content; absent when the block is broken. */
  der?: Uint8Array;
  /** Why the block is broken. */
  problem?: string;
}

// Labels carry no '-' (RFC 7468); the bounded class keeps the scan linear on crafted input.
const MARKER = /-----(BEGIN|END) ([^\r\n-]{1,80})-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block in `text`, in file order, including broken ones. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: { label: string; bodyStart: number } | undefined;
  const close = (problem?: string, body?: string) => {
    if (!open) return;
    const block: PemBlock = { number: blocks.length + 1, label: open.label };
    if (problem) block.problem = problem;
    else decodeInto(block, body ?? "");
    blocks.push(block);
    open = undefined;
  };

  for (const match of text.matchAll(MARKER)) {
    const [marker, kind, rawLabel] = match;
    const label = (rawLabel ?? "").trim();
    const at = match.index;
    if (kind === "BEGIN") {
      close("it has no END line (truncated?)");
      open = { label, bodyStart: at + marker.length };
    } else if (open) {
      if (label === open.label) close(undefined, text.slice(open.bodyStart, at));
      else close(`it is closed by "END ${label}"`);
    } else {
      // An END line without its BEGIN: whatever preceded it was cut off.
      blocks.push({ number: blocks.length + 1, label, problem: "it has an END line but no BEGIN line" });
    }
  }
  close("it has no END line (truncated?)");
  return blocks;
}

function decodeInto(block: PemBlock, body: string): void {
  // RFC 1421 headers (Proc-Type, DEK-Info) sit inside the armour; base64 never holds ':'.
  const base64 = body
    .split(/\r\n|\r|\n/)
    .filter((line) => !line.includes(":"))
    .join("")
    .replace(/\s+/g, "");
  if (base64.length === 0) {
    block.problem = "it is empty";
  } else if (
    !BASE64.test(base64) ||
    base64.length % 4 === 1 ||
    (base64.includes("=") && base64.length % 4 !== 0)
  ) {
    block.problem = "its content is not valid base64";
  } else {
    block.der = new Uint8Array(Buffer.from(base64, "base64"));
  }
}

/** Decodes file bytes to text for the PEM scan; UTF-16 files (Windows "Unicode") are common enough. */
export function pemText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.subarray(2).toString("utf16le");
  if (buffer[0] === 0xfe && buffer[1] === 0xff) {
    const swapped = Buffer.from(buffer.subarray(2, 2 + ((buffer.length - 2) & ~1)));
    return swapped.swap16().toString("utf16le");
  }
  // latin1 maps every byte to one character: nothing throws, and base64 is ASCII anyway.
  return buffer.toString("latin1");
}

export function hasPemMarker(text: string): boolean {
  return text.includes("-----BEGIN") || text.includes("-----END");
}
