/**
 * Files that start like DER: a certificate (or several back to back), a PKCS#7 bundle or a PKCS#12
 * file, told apart by the schema they fit (formats/der.ts) from one decode of the file. Plain
 * certificates and plain PKCS#7 bundles are first tried by position (formats/certificate-layout.ts),
 * without that decode.
 */
import { type ParsedCertificate, parseLaidOutCertificate } from "./certificate";
import { type Decoded, decodeBer, type Element } from "./formats/ber";
import { signedDataCertificateSpans } from "./formats/certificate-layout";
import { classifyDer, type DerKind } from "./formats/der";
import { readPkcs12 } from "./formats/pkcs12";
import type { ReadProblem } from "./formats/read-error";
import {
  blankness,
  CLI_PKCS12_PASSWORD_HINT,
  Described,
  guarded,
  joinProblems,
  ok,
  type ReadOptions,
  type ReadResult,
  unreadable,
} from "./reader-result";

export /**
 * A file that starts like DER, decoded once and read from that tree: a certificate straight away
 * (most DER files are one), a container after telling it apart (formats/der.ts). What is not
 * DER, or no known structure, is only the answer `otherwise`: the file may still be PEM.
 */
async function readDerFile(
  bytes: Uint8Array,
  file: string,
  options: ReadOptions,
): Promise<{ result: ReadResult } | { otherwise: ReadResult }> {
  const laidOut = laidOutCertificates(bytes, file);
  if (laidOut) return { result: ok("der", laidOut, []) };
  const bundled = laidOutSignedData(bytes, file);
  if (bundled) return { result: ok("pkcs7-der", bundled, []) };
  let decoded: Decoded | undefined;
  {
    const attempt = decodeBer(bytes);
    if ("error" in attempt) {
      return {
        otherwise: unreadable(
          "bad-der",
          `the file starts like DER but is not valid DER: ${attempt.error}`,
          "der",
        ),
      };
    }
    decoded = attempt;
  }
  if (decoded.certificateLike) {
    const first = decoded;
    const result = await guarded("bad-der", "der", () => readDerCertificates(bytes, file, first, false));
    if (result) return { result };
  }
  const kind = classifyDer(decoded.element);
  // What a container holds was taken out by classifyDer; the rest of its tree can go.
  if (kind.kind !== "certificate") decoded = undefined;
  const result = await readDer(kind, decoded, bytes, file, options);
  return kind.kind === "unknown" ? { otherwise: result } : { result };
}

/**
 * One DER certificate, or several back to back, when every one takes the common way
 * (parseLaidOutCertificate); undefined for anything else, which is then decoded whole. Each turn
 * consumes a certificate's bytes, so the turns are bounded by the file's size.
 */
function laidOutCertificates(bytes: Uint8Array, file: string): ParsedCertificate[] | undefined {
  const certificates: ParsedCertificate[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const rest = bytes.subarray(offset);
    if (blankness(rest)) break; // trailing whitespace or NUL padding
    const certificate = parseLaidOutCertificate(rest, file, certificates.length);
    if (!certificate) return undefined;
    certificates.push(certificate);
    offset += certificate.der.length;
  }
  return certificates.length > 0 ? certificates : undefined;
}

/**
 * The certificates of a PKCS#7 SignedData when the bundle and every certificate in it take the
 * common way (formats/certificate-layout.ts, parseLaidOutCertificate): what readPkcs7Der would read
 * from the bundle decoded whole, without decoding it. Undefined for anything else, which is then
 * decoded whole, classified and read as before.
 */
function laidOutSignedData(bytes: Uint8Array, file: string): ParsedCertificate[] | undefined {
  const spans = signedDataCertificateSpans(bytes);
  if (!spans) return undefined;
  const certificates: ParsedCertificate[] = [];
  for (const [start, end] of spans) {
    const certificate = parseLaidOutCertificate(bytes.subarray(start, end), file, certificates.length);
    if (!certificate || certificate.der.length !== end - start) return undefined;
    certificates.push(certificate);
  }
  return certificates;
}

async function readDer(
  kind: DerKind,
  decoded: Decoded | undefined,
  bytes: Uint8Array,
  file: string,
  options: ReadOptions,
): Promise<ReadResult> {
  switch (kind.kind) {
    case "certificate": {
      const first = decoded as Decoded;
      const result = await guarded("bad-der", "der", () => readDerCertificates(bytes, file, first, true));
      return result ?? unreadable("bad-der", "the file is not a DER certificate", "der");
    }
    case "pkcs7":
      return guarded("bad-der", "pkcs7-der", () => readPkcs7Der(kind.certificates, file));
    case "pkcs12":
      return guarded("bad-der", "pkcs12", () => readPfx(kind.pfx, file, options));
    case "no-certificate":
      return { status: "not-certificate", detail: `DER-encoded ${kind.what}, which holds no certificate` };
    case "other-cms":
      return unreadable("unsupported-format", `${kind.what}, which holds no certificate list`, "pkcs7-der");
    case "unknown":
      return unreadable(
        "bad-der",
        `the file is DER but not a certificate or certificate container: ${kind.what}`,
        "der",
      );
  }
}

/**
 * One DER certificate, or several written back to back (`cat a.der b.der`); `first` is the file's
 * first element, already decoded. Unless `classifiedFirst`, a first element that does not even
 * have a certificate's schema yields undefined: the file is then classified like any other DER.
 */
function readDerCertificates(
  bytes: Uint8Array,
  file: string,
  first: Decoded,
  classifiedFirst: boolean,
): ReadResult | undefined {
  const read = new Described(file, "bad-der");
  const problems: ReadProblem[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const rest = bytes.subarray(offset);
    if (blankness(rest)) break; // trailing whitespace or NUL padding
    const parsed = offset === 0 ? first : decodeBer(rest);
    const notCertificate = () => {
      problems.push({
        reason: "bad-der",
        detail: `${rest.length} bytes at offset ${offset} are not a DER certificate`,
      });
    };
    if ("error" in parsed || parsed.length === 0) {
      notCertificate();
      break;
    }
    const origin = `DER certificate ${read.candidates + 1}`;
    const failed = read.failed.length;
    read.decoded(origin, parsed.element, false);
    // A part that does not read is a certificate gone bad only if it has a certificate's schema.
    if (read.failed.length > failed && classifyDer(parsed.element).kind !== "certificate") {
      if (offset === 0 && !classifiedFirst) return undefined;
      read.failed.pop();
      read.candidates -= 1;
      notCertificate();
      break;
    }
    offset += parsed.length;
  }
  problems.push(...read.failed);
  if (read.certificates.length > 0) return ok("der", read.certificates, problems);
  return unreadable("bad-der", joinProblems(problems), "der");
}

/** The certificates of a SignedData, decoded with the bundle; each entry is let go once read. */
function readPkcs7Der(extracted: (Element | undefined)[] | undefined, file: string): ReadResult {
  if (!extracted)
    return unreadable("bad-der", "a PKCS#7 SignedData structure that is malformed", "pkcs7-der");
  const read = new Described(file, "bad-der");
  extracted.forEach((element, i) => {
    if (element) read.decoded(`PKCS#7 certificate ${i + 1}`, element, true);
    extracted[i] = undefined;
  });
  const problems = read.failed;
  if (read.certificates.length > 0) return ok("pkcs7-der", read.certificates, problems);
  if (problems.length > 0) return unreadable("bad-der", joinProblems(problems), "pkcs7-der");
  return { status: "not-certificate", detail: "a PKCS#7 SignedData structure without certificates" };
}

async function readPfx(
  pfx: Parameters<typeof readPkcs12>[0],
  file: string,
  options: ReadOptions,
): Promise<ReadResult> {
  const outcome = await readPkcs12(pfx, options.pkcs12Password, options.kdfBudget);
  if (!outcome.ok) {
    // The detail never holds the password, only whether one was given.
    const detail = {
      "no-password":
        "the PKCS#12 file is password-protected and no password was given " +
        `(${options.pkcs12PasswordHint ?? CLI_PKCS12_PASSWORD_HINT}); the empty password does not match`,
      "wrong-password":
        outcome.provedBy === "decryption"
          ? "the PKCS#12 password given does not match the file (its safes do not decrypt with it)"
          : "the PKCS#12 password given does not match the file (MAC verification failed)",
      "safe-password-differs":
        "the PKCS#12 MAC matches, but an encrypted safe does not decrypt with the same password " +
        "(exported with separate MAC and encryption passwords?)",
    }[outcome.reason];
    return unreadable("bad-password", detail, "pkcs12");
  }
  const read = new Described(file, "bad-der");
  outcome.content.certificates.forEach(({ der, entry }, i) => {
    read.bytes(`PKCS#12 certificate ${i + 1}`, der, entry);
  });
  const problems = [...outcome.content.problems, ...read.failed];
  const { certificates } = read;
  if (certificates.length > 0) return ok("pkcs12", certificates, problems);
  if (problems.length > 0) {
    return unreadable(problems[0]?.reason ?? "bad-der", joinProblems(problems), "pkcs12");
  }
  return { status: "not-certificate", detail: "a PKCS#12 file without certificates (keys only)" };
}
