/** Placeholder so the stack synthesizes; the lead replaces it with the real handler. */
export async function handler(): Promise<never> {
  throw new Error("not wired yet");
}
