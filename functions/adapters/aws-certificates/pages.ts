/**
 * The pages of one paginated List/Describe call, the one loop every AWS certificate source lists
 * with. A listing ends only where the service says it ends (no NextToken / Marker): a failed call,
 * or a listing still going after `maxPages` (what one scan may spend on one selection), ends as
 * ListingFailed, so the run is partial and clears nothing it did not list. Taking the pages read for
 * the whole listing would clear the alarms of every certificate past them.
 */
import { callFailure, ListingFailed } from "./errors";

export async function* listPages<Page>(
  call: string,
  maxPages: number,
  send: (token: string | undefined) => Promise<Page>,
  nextToken: (page: Page) => string | undefined,
): AsyncGenerator<Page> {
  let token: string | undefined;
  for (let read = 0; ; read++) {
    if (read === maxPages) {
      throw new ListingFailed(`${call}: still more after ${maxPages} pages; the rest was not listed`);
    }
    let page: Page;
    try {
      page = await send(token);
    } catch (error) {
      throw new ListingFailed(callFailure(error, call).detail);
    }
    yield page;
    token = nextToken(page);
    if (!token) return;
  }
}
