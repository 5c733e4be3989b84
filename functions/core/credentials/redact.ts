/**
 * Keeps temporary secrets out of anything watchpost prints, logs or emits. Messages are built from
 * error codes and statuses, not raw error text; this is the second line of defence for the few
 * strings that do come from outside (error codes, endpoint answers).
 */

/** 40-character base64-ish runs: the shape of an AWS secret access key. */
const SECRET_SHAPE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;
/** Session tokens are long base64 blobs; nothing legitimate in our messages is that long. */
const TOKEN_SHAPE = /[A-Za-z0-9/+]{100,}={0,2}/g;

export const REDACTED = "[redacted]";

/** Replaces every known secret value and anything shaped like an AWS secret or token. */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  return result.replace(TOKEN_SHAPE, REDACTED).replace(SECRET_SHAPE, REDACTED);
}
