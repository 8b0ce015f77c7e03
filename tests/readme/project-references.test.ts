/**
 * The README and docs point only at things the project holds (issue 14, problem 13: the README
 * linked ../shared/, which a clone does not have), and every `npm run` they name is a script of
 * the package that no npm command of the same name shadows (`npm run pack` sat beside npm's
 * own `npm pack`, which does something else entirely).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
/** npm's own commands that a script must not be named after: `npm X` would not run it. */
const NPM_COMMANDS = ["pack", "publish", "install", "ci", "link", "update", "audit", "exec", "init", "uninstall"];

describe("the README and docs", () => {
  it("link only to files inside the project, and every link resolves", () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = readFileSync(join(ROOT, page), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = resolve(dirname(join(ROOT, page)), target!.split("#")[0]!);
        const inside = !relative(ROOT, path).startsWith("..");
        if (!inside || !existsSync(path)) broken.push(`${page}: ${target} (${inside ? "missing" : "outside the project"})`);
      }
      if (/\.\.\/shared\//.test(text)) broken.push(`${page}: mentions ../shared/, which is not part of the project`);
    }
    expect(broken).toEqual([]);
  });

  it("name only npm scripts the package has, none shadowed by an npm command", () => {
    const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts);
    expect(scripts.filter((s) => NPM_COMMANDS.includes(s))).toEqual([]);
    const named = PAGES.flatMap((page) => [...readFileSync(join(ROOT, page), "utf8").matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => [page, m[1]!] as const));
    expect(named.map(([, s]) => s)).toContain("pack:charm");
    expect(named.filter(([, s]) => !scripts.includes(s))).toEqual([]);
  });
});
