import { describe, expect, it } from "vitest";
import { wildcardMatcher } from "../../../lib/ec2/model/wildcard.ts";

/** The definition, as a table over prefixes (quadratic, obviously right): the oracle. */
function oracle(pattern: string, value: string): boolean {
  const p: { any: boolean; star: boolean; c?: string }[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "\\" && ["*", "?", "\\"].includes(chars[i + 1] ?? "")) p.push({ any: false, star: false, c: chars[++i]! });
    else if (c === "*") p.push({ any: false, star: true });
    else if (c === "?") p.push({ any: true, star: false });
    else p.push({ any: false, star: false, c });
  }
  const v = Array.from(value);
  let row = v.map(() => false);
  row.unshift(true);
  for (const token of p) {
    const next = [token.star && row[0]!];
    for (let j = 1; j <= v.length; j++) {
      next[j] = token.star ? row[j]! || next[j - 1]! : row[j - 1]! && (token.any || token.c === v[j - 1]);
    }
    row = next;
  }
  return row[v.length]!;
}

describe("EC2 filter wildcards", () => {
  it("matches * and ? as AWS defines them, and backslash escapes *, ? and backslash", () => {
    expect(wildcardMatcher("web-*")("web-1")).toBe(true);
    expect(wildcardMatcher("web-*")("web-")).toBe(true);
    expect(wildcardMatcher("web-?")("web-")).toBe(false);
    expect(wildcardMatcher("*-db-*")("eu-db-7")).toBe(true);
    expect(wildcardMatcher("a\\*b")("a*b")).toBe(true);
    expect(wildcardMatcher("a\\*b")("axb")).toBe(false);
    expect(wildcardMatcher("\\*amazon\\?\\\\")("*amazon?\\")).toBe(true);
    expect(wildcardMatcher("a.b[1]")("a.b[1]")).toBe(true);
    expect(wildcardMatcher("a.b")("axb")).toBe(false);
    // ? is one character, also outside the basic plane.
    expect(wildcardMatcher("x?y")("x😀y")).toBe(true);
    expect(wildcardMatcher("*a*a")("a")).toBe(false);
  });

  it("agrees with the definition on random patterns and values", () => {
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[random(alphabet.length)]).join("");
    for (let n = 0; n < 5000; n++) {
      const pattern = pick("ab*?\\", random(8));
      const value = pick("ab*?\\", random(10));
      expect(wildcardMatcher(pattern)(value), `${JSON.stringify(pattern)} on ${JSON.stringify(value)}`).toBe(oracle(pattern, value));
    }
  });

  it("answers adversarial patterns on long values at once (a backtracking matcher takes hours)", () => {
    const value = "a".repeat(4096);
    for (const pattern of ["*a*a*a*a*a*a*a*a*a*a*b", `${"*a".repeat(120)}*b`, `${"?".repeat(4000)}*b`, "*aaaaaaaaaaaaaaaaaaaaaaaaab*"]) {
      expect(wildcardMatcher(pattern)(value)).toBe(false);
    }
    expect(wildcardMatcher(`${"*a".repeat(120)}*`)(value)).toBe(true);
  });
});
