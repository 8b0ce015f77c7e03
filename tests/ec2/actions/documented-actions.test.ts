/** Every action the endpoint answers is named in docs/ec2-api.md, and the page names no action it does not answer. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EC2_ACTIONS } from "../../../lib/ec2/actions/action-table.ts";
import { STS_ACTIONS } from "../../../lib/ec2/sts/sts-actions.ts";

const docs = readFileSync(new URL("../../../docs/ec2-api.md", import.meta.url), "utf8");

describe("docs/ec2-api.md", () => {
  it("names every EC2 and STS action Orchestra answers", () => {
    for (const name of [...EC2_ACTIONS.keys(), ...STS_ACTIONS.keys()]) expect(docs, `docs/ec2-api.md lacks ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("lists in its action table only actions that exist", () => {
    const table = docs.split("## Actions")[1]!.split("\n\n")[1]!;
    const listed = [...table.matchAll(/\b([A-Z][a-z]+(?:[A-Z][a-z]+)+)\b/g)].map((m) => m[1]!).filter((name) => !["Family", "Actions", "UnsupportedOperation"].includes(name));
    for (const name of listed) expect(EC2_ACTIONS.has(name), `${name} is in the table but not answered`).toBe(true);
  });
});
