import { describe, expect, it } from "vitest";
import { paginate } from "../../../lib/ec2/model/pagination.ts";
import { isOrchestraError } from "../../../lib/errors.ts";

const items = Array.from({ length: 12 }, (_, i) => `id-${String(i).padStart(2, "0")}`);

describe("paginate", () => {
  it("walks every item exactly once in pages of MaxResults", () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = paginate(items, (i) => i, "X", 5, token);
      seen.push(...page.items);
      token = page.nextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(items);
    expect(pages).toBe(3);
  });

  it("resumes after the last id even when items before it vanished", () => {
    const first = paginate(items, (i) => i, "X", 5, undefined);
    const rest = paginate(items.slice(3), (i) => i, "X", 100, first.nextToken);
    expect(rest.items[0]).toBe("id-05");
  });

  it("returns everything without MaxResults", () => {
    expect(paginate(items, (i) => i, "X", undefined, undefined)).toEqual({ items, nextToken: undefined });
  });

  it.each(["garbage", Buffer.from(JSON.stringify({ v: 1, a: "Y", after: "id-01" })).toString("base64url"), Buffer.from("{").toString("base64url")])(
    "refuses a token that is malformed or from another action: %s",
    (token) => {
      let code: string | undefined;
      try {
        paginate(items, (i) => i, "X", 5, token);
      } catch (error) {
        code = isOrchestraError(error) ? error.ec2Code : "other";
      }
      expect(code).toBe("InvalidPaginationToken");
    },
  );
});
