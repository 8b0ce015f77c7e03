import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS, OrchestraError } from "../lib/errors.ts";

describe("the error table", () => {
  const docs = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

  it("documents every code with its HTTP status and EC2 code in docs/errors.md", () => {
    for (const [code, row] of Object.entries(ERRORS)) {
      expect(docs, `docs/errors.md lacks ${code}`).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${row.status}\\s*\\|\\s*\`${row.ec2.replace(".", "\\.")}\`\\s*\\|`));
    }
  });

  it("documents no code that does not exist", () => {
    const documented = [...docs.matchAll(/^\|\s*`([A-Z_0-9]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it("uses HTTP error statuses and non-empty summaries", () => {
    for (const row of Object.values(ERRORS)) {
      expect(row.status).toBeGreaterThanOrEqual(400);
      expect(row.status).toBeLessThan(600);
      expect(row.summary.length).toBeGreaterThan(0);
    }
  });

  it("carries its code, status and EC2 code", () => {
    const error = new OrchestraError("NO_CAPACITY", "none");
    expect([error.code, error.status, error.ec2Code]).toEqual(["NO_CAPACITY", 409, "InsufficientInstanceCapacity"]);
  });
});
