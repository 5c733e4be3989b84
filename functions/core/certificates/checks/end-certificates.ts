/**
 * Which certificates of an input are the ones a service presents as its own (the "end"
 * certificates), so the ones that must name the hosts expected of it. The name check applies to
 * whatever certificate a peer presents or a file holds as its end certificate, CA flag or not:
 * `openssl req -x509` (OpenSSL 3 adds basicConstraints CA:TRUE by default) makes self-signed
 * server certificates that are CA certificates, and clients check their names all the same
 * (`openssl s_client -verify_hostname` says "hostname mismatch").
 *
 * - A chain a TLS peer presented: its first certificate (RFC 8446 §4.4.2).
 * - A keystore (JKS, JCEKS, PKCS#12): the first certificate of each private-key entry, the one
 *   that goes with the key.
 * - Every certificate that is not a CA certificate.
 * - A file of CA certificates only: its first certificate, when it issues no other certificate of
 *   the file and names a host (a DNS or IP subjectAltName, or a common name shaped like a host
 *   name). A lone `CN=right.example` made by `openssl req -x509` is one; a CA bundle, a chain file
 *   of intermediate and root, or a CA named "Example Root CA" is not.
 */
import { isIP } from "node:net";
import type { CertificateFacts } from "../facts";

type Candidate = Pick<
  CertificateFacts,
  "isCA" | "subject" | "issuer" | "sha256" | "dnsNames" | "ipAddresses" | "commonNames" | "entry"
>;

export function endCertificates<T extends Candidate>(certs: readonly T[], presentedChain: boolean): T[] {
  const first = certs[0];
  if (!first) return [];
  if (presentedChain) return [first];
  const ends = certs.filter(
    (cert) => !cert.isCA || (cert.entry?.kind === "private-key" && cert.entry.position === 0),
  );
  if (ends.length > 0 || certs.some((cert) => cert.entry !== undefined)) return ends;
  const issuesAnother = certs.some(
    (other) => other.sha256 !== first.sha256 && other.issuer === first.subject,
  );
  return !issuesAnother && namesAHost(first) ? [first] : [];
}

/** Dot-separated labels of letters, digits, hyphens (U-labels too: `bücher.example`). */
const HOST_NAME = /^(\*\.)?[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)+\.?$/u;

function namesAHost(cert: Candidate): boolean {
  return (
    cert.dnsNames.length > 0 ||
    cert.ipAddresses.length > 0 ||
    cert.commonNames.some((name) => HOST_NAME.test(name.trim()) || isIP(name.trim()) !== 0)
  );
}

/** The end-entity certificate of a stored file: the first that is not a CA, else the first. */
export function storedLeaf<T extends Pick<CertificateFacts, "isCA">>(
  certificates: readonly T[],
): T | undefined {
  return certificates.find((c) => !c.isCA) ?? certificates[0];
}
