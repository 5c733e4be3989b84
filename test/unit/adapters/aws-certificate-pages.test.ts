/**
 * How far an AWS certificate source lists: to the service's last page, and never a page cap or a
 * failed call taken for the end of the listing (which would clear the alarms of what was not listed).
 */
import { ThrottlingException } from "@aws-sdk/client-acm";
import { describe, expect, it } from "vitest";
import { ListingFailed } from "../../../functions/adapters/aws-certificates/errors";
import { listPages } from "../../../functions/adapters/aws-certificates/pages";

interface Page {
  items: string[];
  next?: string;
}

/** A listing of `count` pages of one item each; page n asks for token "t<n>". */
function service(count: number, failAt?: number) {
  const asked: (string | undefined)[] = [];
  const send = async (token: string | undefined): Promise<Page> => {
    asked.push(token);
    const index = token === undefined ? 0 : Number(token.slice(1));
    if (index === failAt)
      throw new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
    return { items: [`item-${index}`], ...(index + 1 < count ? { next: `t${index + 1}` } : {}) };
  };
  return { send, asked };
}

async function listAll(count: number, maxPages: number, failAt?: number) {
  const { send, asked } = service(count, failAt);
  const items: string[] = [];
  let error: unknown;
  try {
    for await (const page of listPages(
      "ListCertificates in 111122223333/eu-west-1",
      maxPages,
      send,
      (p) => p.next,
    )) {
      items.push(...page.items);
    }
  } catch (caught) {
    error = caught;
  }
  return { items, asked, error };
}

describe("listPages", () => {
  it.each([
    { count: 1, maxPages: 3, items: ["item-0"], asked: [undefined] },
    { count: 3, maxPages: 3, items: ["item-0", "item-1", "item-2"], asked: [undefined, "t1", "t2"] },
  ])("reads $count page(s) to the last one, passing each token on", ({ count, maxPages, items, asked }) => {
    // Act
    return listAll(count, maxPages).then((result) => {
      // Assess
      expect(result).toEqual({ items, asked, error: undefined });
    });
  });

  it.each([
    {
      case: "a listing longer than the cap",
      count: 5,
      failAt: undefined,
      items: ["item-0", "item-1", "item-2"],
      message:
        "ListCertificates in 111122223333/eu-west-1: still more after 3 pages; the rest was not listed",
    },
    {
      case: "a call that fails part-way",
      count: 5,
      failAt: 1,
      items: ["item-0"],
      message: "ListCertificates in 111122223333/eu-west-1: ThrottlingException (HTTP 400)",
    },
  ])(
    "ends $case as a failed listing, after yielding what it read",
    async ({ count, failAt, items, message }) => {
      // Act
      const result = await listAll(count, 3, failAt);

      // Assess
      expect(result.items).toEqual(items);
      expect(result.error).toBeInstanceOf(ListingFailed);
      expect((result.error as Error).message).toBe(message);
    },
  );
});
