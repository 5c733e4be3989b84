/** How a caught error reads in a finding, a log line or a failure message: never more than its name and text. */

/** "message", or "Name: message" when the error has a more telling name than Error. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error)
    return cause.name === "Error" ? cause.message : `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** "Name: message" always, as failure reports and logs name what was thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
