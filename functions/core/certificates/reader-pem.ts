/** PEM files: every block by its label, certificates and PKCS#7 bundles read, the rest named. */
import { parseCertificate } from "./certificate";
import { decodeBer } from "./formats/ber";
import { classifyDer } from "./formats/der";
import { pemBlocks } from "./formats/pem";
import type { ReadProblem } from "./formats/read-error";
import {
  type CertificateFormat,
  Described,
  joinProblems,
  ok,
  type ReadResult,
  unreadable,
} from "./reader-result";

const PKCS7_LABELS = new Set(["PKCS7", "CMS", "PKCS #7 SIGNED DATA"]);
const CERTIFICATE_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);
const NON_CERTIFICATE_LABEL = /PRIVATE KEY|PUBLIC KEY|PARAMETERS|CERTIFICATE REQUEST|CRL/;

export function readPem(text: string, file: string): ReadResult {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    return unreadable("bad-pem", "the file has a PEM marker but no well-formed BEGIN/END block", "pem");
  }
  const read = new Described(file, "bad-pem");
  const problems: ReadProblem[] = [];
  const otherLabels: string[] = [];
  const unknownLabels: string[] = [];
  let emptyPkcs7 = false;

  for (const block of blocks) {
    const origin = `PEM block ${block.number} (${block.label})`;
    const isCertificate = CERTIFICATE_LABELS.has(block.label);
    const isPkcs7 = PKCS7_LABELS.has(block.label);
    if (!isCertificate && !isPkcs7) {
      (NON_CERTIFICATE_LABEL.test(block.label) ? otherLabels : unknownLabels).push(block.label);
      continue;
    }
    const der = block.der;
    if (!der) {
      problems.push({ reason: "bad-pem", detail: `${origin} is broken: ${block.problem ?? "unreadable"}` });
      continue;
    }
    if (isCertificate) {
      // Decoded once, inside parseCertificate, which takes the block's first DER element: that is
      // what reads TRUSTED CERTIFICATE, where OpenSSL appends aux data after the certificate.
      const notDer = read.add(origin, false, (index) => parseCertificate(der, file, index));
      if (notDer) problems.push({ reason: "bad-pem", detail: `${origin} is not valid DER: ${notDer}` });
      continue;
    }
    const decoded = decodeBer(der);
    if ("error" in decoded) {
      problems.push({ reason: "bad-pem", detail: `${origin} is not valid DER: ${decoded.error}` });
      continue;
    }
    const kind = classifyDer(decoded.element);
    const certificates = kind.kind === "pkcs7" ? kind.certificates : undefined;
    if (!certificates) {
      problems.push({ reason: "bad-pem", detail: `${origin} does not hold a PKCS#7 SignedData structure` });
      continue;
    }
    if (certificates.length === 0) emptyPkcs7 = true;
    certificates.forEach((certificate, i) => {
      if (certificate) read.decoded(`${origin}, certificate ${i + 1}`, certificate, true);
    });
  }

  problems.push(...read.failed);
  const { certificates } = read;
  const format: CertificateFormat =
    read.candidates > 0 && read.fromPkcs7 === read.candidates ? "pkcs7-pem" : "pem";
  if (certificates.length > 0) return ok(format, certificates, problems);
  if (problems.length > 0) return unreadable("bad-pem", joinProblems(problems), format);
  if (otherLabels.length > 0 || emptyPkcs7) {
    const labels = [...new Set([...otherLabels, ...(emptyPkcs7 ? ["PKCS7 without certificates"] : [])])];
    return { status: "not-certificate", detail: `PEM with ${labels.join(", ")} and no certificate` };
  }
  return unreadable(
    "unsupported-format",
    `PEM block(s) labelled ${[...new Set(unknownLabels)].join(", ")} hold no certificate`,
  );
}
