import { describe, expect, it } from "vitest";
import { isOrchestraError } from "../../lib/errors.ts";
import { ImdsTokens } from "../../lib/metadata/imds-token.ts";

function refusal(check: () => void): string {
  try {
    check();
  } catch (error) {
    if (isOrchestraError(error, "IMDS_TOKEN_INVALID")) return error.message;
    throw error;
  }
  return "accepted";
}

describe("IMDSv2 tokens", () => {
  const start = Date.parse("2026-11-25T12:00:00Z");

  it("expire after their TTL, on a clock the test controls", () => {
    let now = start;
    const tokens = new ImdsTokens({ now: () => now });
    const token = tokens.issue("10.0.0.5", "i-0123456789abcdef0", 60);
    now = start + 59_000;
    expect(refusal(() => tokens.verify(token, "10.0.0.5", "i-0123456789abcdef0"))).toBe("accepted");
    now = start + 60_000;
    expect(refusal(() => tokens.verify(token, "10.0.0.5", "i-0123456789abcdef0"))).toMatch(/expired/);
  });

  it("are bound to the address and the instance they were issued for, and to the process's key", () => {
    const tokens = new ImdsTokens({ now: () => start });
    const token = tokens.issue("10.0.0.5", "i-0123456789abcdef0", 60);
    expect(refusal(() => tokens.verify(token, "10.0.0.6", "i-0123456789abcdef0"))).toMatch(/not issued to this node/);
    // The same address now serving another instance (re-deployed) does not inherit the token.
    expect(refusal(() => tokens.verify(token, "10.0.0.5", "i-0123456789abcdef1"))).toMatch(/not issued to this node/);
    expect(refusal(() => new ImdsTokens({ now: () => start }).verify(token, "10.0.0.5", "i-0123456789abcdef0"))).toMatch(/not issued to this node/);
  });

  it("parses TTLs strictly", () => {
    expect(ImdsTokens.parseTtl("1")).toBe(1);
    expect(ImdsTokens.parseTtl("21600")).toBe(21600);
    for (const bad of [undefined, "", "0", "21601", "1.5", " 5", "0x10", ["60", "60"]]) {
      expect(() => ImdsTokens.parseTtl(bad), String(bad)).toThrow(/1-21600/);
    }
  });
});
