/**
 * How far an AWS certificate source lists: to the service's last page, and never a page cap or a
 * failed call taken for the end of the listing (which would clear the alarms of what was not listed).
 */
import { AccessDeniedException, ThrottlingException } from "@aws-sdk/client-acm";
import { SecretsManagerServiceException } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { ListingFailed } from "../../../functions/adapters/aws-certificates/errors";
import { listPages } from "../../../functions/adapters/aws-certificates/pages";
import { ListingRefused } from "../../../functions/core/scan/listing-refusal";

interface Page {
  items: string[];
  next?: string;
}

/** A listing of `count` pages of one item each; page n asks for token "t<n>"; page `failAt` fails with `failure`. */
function service(count: number, failAt?: number, failure: () => Error = throttled) {
  const asked: (string | undefined)[] = [];
  const send = async (token: string | undefined): Promise<Page> => {
    asked.push(token);
    const index = token === undefined ? 0 : Number(token.slice(1));
    if (index === failAt) throw failure();
    return { items: [`item-${index}`], ...(index + 1 < count ? { next: `t${index + 1}` } : {}) };
  };
  return { send, asked };
}

const throttled = () =>
  new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });

async function listAll(count: number, maxPages: number, failAt?: number, failure?: () => Error) {
  const { send, asked } = service(count, failAt, failure);
  const items: string[] = [];
  let error: unknown;
  try {
    for await (const page of listPages(
      {
        action: "acm:ListCertificates",
        where: { kind: "acm", account: "111122223333", region: "eu-west-1" },
        maxPages,
      },
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

  it.each([
    {
      case: "ACM's AccessDeniedException",
      failure: () =>
        new AccessDeniedException({
          message: "User: arn:aws:sts::111122223333:assumed-role/scan/x is not authorized",
          $metadata: { httpStatusCode: 400 },
        }),
      detail: "ListCertificates in 111122223333/eu-west-1: AccessDeniedException (HTTP 400), access denied",
    },
    {
      // Secrets Manager's common errors include AccessDeniedException, but its SDK models no class
      // for it: the SDK raises its service exception under the wire's error code.
      case: "Secrets Manager's (unmodelled) AccessDeniedException",
      failure: () =>
        new SecretsManagerServiceException({
          name: "AccessDeniedException",
          $fault: "client",
          message: "not authorized",
          $metadata: { httpStatusCode: 400 },
        }),
      detail: "ListCertificates in 111122223333/eu-west-1: AccessDeniedException (HTTP 400), access denied",
    },
  ])(
    "ends a call refused by $case as a refused listing naming the permission",
    async ({ failure, detail }) => {
      // Act
      const result = await listAll(3, 3, 1, failure);

      // Assess: what was read is kept; the refusal names the call and the permission, not the SDK's message
      expect(result.items).toEqual(["item-0"]);
      expect(result.error).toBeInstanceOf(ListingRefused);
      expect((result.error as ListingRefused).refusal).toEqual({
        detail,
        permission: "acm:ListCertificates",
      });
    },
  );
});
