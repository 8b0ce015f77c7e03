import { describe, expect, it } from "vitest";
import { databaseUrlFrom } from "../../../charm/relations/database.ts";

describe("databaseUrlFrom", () => {
  it("builds a URL from the primary endpoint, escaping credentials", () => {
    expect(databaseUrlFrom({ endpoints: "10.0.0.9:5432,10.0.0.10:5432", database: "orchestra" }, { username: "u", password: "p/w:@" }, "pg"))
      .toEqual({ ok: true, url: "postgresql://u:p%2Fw%3A%40@10.0.0.9:5432/orchestra" });
    expect(databaseUrlFrom({ endpoints: "[fd00::1]:5432" }, { username: "u", password: "p" }, "pg"))
      .toEqual({ ok: true, url: "postgresql://u:p@[fd00::1]:5432/orchestra" });
  });

  it("waits for endpoints and credentials; blocks on garbage", () => {
    expect(databaseUrlFrom({}, {}, "pg")).toEqual({ ok: false, waiting: "waiting for pg to publish database endpoints" });
    expect(databaseUrlFrom({ endpoints: "h:5432" }, { username: "u" }, "pg")).toEqual({ ok: false, waiting: "waiting for pg to publish database credentials" });
    expect(databaseUrlFrom({ endpoints: "h:99999" }, { username: "u", password: "p" }, "pg").ok).toBe(false);
    expect(databaseUrlFrom({ endpoints: "h" }, { username: "u", password: "p" }, "pg")).toMatchObject({ ok: false, blocked: expect.stringContaining("malformed endpoints") });
  });
});
