/**
 * @module ec2/model/pagination
 * MaxResults/NextToken. A token names the action and the last id returned; listing resumes
 * after that id in id order, so tokens survive inserts and deletes between pages.
 */
import { OrchestraError } from "../../errors.ts";

/** A page of items and the token for the next one, if any. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
}

/** Cut `items` (already sorted by `id`) into the page that `token` and `maxResults` ask for. */
export function paginate<T>(items: readonly T[], id: (item: T) => string, action: string, maxResults: number | undefined, token: string | undefined): Page<T> {
  let start = 0;
  if (token !== undefined) {
    const after = decodeToken(token, action);
    start = items.findIndex((item) => id(item) > after);
    if (start === -1) start = items.length;
  }
  if (maxResults === undefined) return { items: items.slice(start), nextToken: undefined };
  const page = items.slice(start, start + maxResults);
  const more = start + maxResults < items.length;
  return { items: page, nextToken: more && page.length > 0 ? encodeToken(action, id(page[page.length - 1]!)) : undefined };
}

/** The token that resumes `action`'s listing after `lastId` (for listings that page as they stream). */
export function encodeToken(action: string, lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, a: action, after: lastId })).toString("base64url");
}

/** The id a token of `action` resumes after; a token that is not one is refused. */
export function decodeToken(token: string, action: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: unknown; a?: unknown; after?: unknown };
    if (parsed.v === 1 && parsed.a === action && typeof parsed.after === "string") return parsed.after;
  } catch {
    // Fall through: any undecodable token is the caller's mistake, answered below.
  }
  throw new OrchestraError("EC2_INVALID_PAGINATION_TOKEN", "The specified pagination token is not valid or is expired.");
}
