/**
 * IAM's size quota, for grants naming many resources: a managed policy holds at most 6,144
 * characters ("IAM and AWS STS quotas"), and CDK, which moves statements that do not fit a role's
 * inline policy into managed policies, never splits one statement. Grants over a configured list
 * therefore write several statements, each with room to spare.
 */

/** Room for one statement's resources (or condition values), well inside a 6,144-character managed policy. */
export const MAX_STATEMENT_CHARACTERS = 4000;

/** Consecutive groups of `items` whose sizes add up to at most `limit` (one item alone may exceed it). */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, limit: number): T[][] {
  const groups: T[][] = [];
  let total = 0;
  for (const item of items) {
    const current = groups[groups.length - 1];
    if (current && total + size(item) <= limit) {
      current.push(item);
      total += size(item);
    } else {
      groups.push([item]);
      total = size(item);
    }
  }
  return groups;
}
