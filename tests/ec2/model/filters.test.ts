import { describe, expect, it } from "vitest";
import { applyFilters, type FilterFields } from "../../../lib/ec2/model/filters.ts";
import { isOrchestraError } from "../../../lib/errors.ts";

interface Item {
  id: string;
  groups: string[];
  tags: Map<string, string>;
}

const items: Item[] = [
  { id: "a.b-1", groups: ["sg-1", "sg-2"], tags: new Map([["Name", "web (1)"], ["env", "prod"]]) },
  { id: "a*b-2", groups: ["sg-2"], tags: new Map([["Name", "db"]]) },
  { id: "c-3", groups: [], tags: new Map() },
];
const fields: FilterFields<Item> = { id: (i) => i.id, group: (i) => i.groups };
const ids = (filters: { Name: string; Value: string[] }[]) => applyFilters(items, filters, fields, (i) => i.tags).map((i) => i.id);

describe("EC2 filters", () => {
  it("ORs values and ANDs filters", () => {
    expect(ids([{ Name: "id", Value: ["c-3", "a.b-1"] }])).toEqual(["a.b-1", "c-3"]);
    expect(ids([{ Name: "id", Value: ["c-3", "a.b-1"] }, { Name: "group", Value: ["sg-1"] }])).toEqual(["a.b-1"]);
  });

  it("matches any of a multi-valued field", () => {
    expect(ids([{ Name: "group", Value: ["sg-2"] }])).toEqual(["a.b-1", "a*b-2"]);
  });

  it("treats * and ? as wildcards, escapes with backslash, and regex characters literally", () => {
    expect(ids([{ Name: "id", Value: ["a?b-*"] }])).toEqual(["a.b-1", "a*b-2"]);
    expect(ids([{ Name: "id", Value: ["a\\*b-?"] }])).toEqual(["a*b-2"]);
    expect(ids([{ Name: "tag:Name", Value: ["web (*)"] }])).toEqual(["a.b-1"]);
    expect(ids([{ Name: "id", Value: ["a.b-[1]"] }])).toEqual([]);
  });

  it("knows tag:KEY, tag-key and tag-value", () => {
    expect(ids([{ Name: "tag:env", Value: ["prod"] }])).toEqual(["a.b-1"]);
    expect(ids([{ Name: "tag-key", Value: ["Name"] }])).toEqual(["a.b-1", "a*b-2"]);
    expect(ids([{ Name: "tag-value", Value: ["db"] }])).toEqual(["a*b-2"]);
  });

  it("refuses an unknown filter name rather than ignoring it", () => {
    let code: string | undefined;
    try {
      ids([{ Name: "colour", Value: ["red"] }]);
    } catch (error) {
      code = isOrchestraError(error) ? error.ec2Code : "other";
    }
    expect(code).toBe("InvalidParameterValue");
  });
});
