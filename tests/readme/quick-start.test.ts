/**
 * The README's "Try it in five minutes" section, run verbatim: the sh blocks between
 * `<!-- quick-start -->` and `<!-- /quick-start -->` are taken from README.md itself and run
 * with bash, so the README cannot drift from what works. It runs in a network namespace of
 * its own (a fresh loopback, so port 8773 is free and no traffic leaves) with a throwaway
 * HOME for ~/.aws; nothing else is added to what the reader types.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The shell commands of the quick-start section, in order. */
export function quickStartScript(readme: string): string {
  const section = /<!-- quick-start -->\n([\s\S]*?)<!-- \/quick-start -->/.exec(readme)?.[1];
  if (!section) throw new Error("README.md has no <!-- quick-start --> section");
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length === 0) throw new Error("the quick-start section has no sh block");
  return blocks.join("\n");
}

describe("the README's quick start", () => {
  it("runs as written, from an empty data directory to run-instances and back", { timeout: 180_000 }, async () => {
    const script = quickStartScript(README);
    const home = mkdtempSync(join(tmpdir(), "orchestra-readme-"));
    try {
      // The namespace's loopback starts down; bringing it up is the only line that is not the README's.
      const wrapper = `ip link set lo up\nset -euo pipefail\n${script}`;
      const env: Record<string, string | undefined> = { ...process.env, HOME: home };
      for (const name of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "ORCHESTRA_DATA_DIR", "ORCHESTRA_DATABASE_URL"]) delete env[name];
      const result = await execa("unshare", ["--net", "bash", "-c", wrapper], { cwd: ROOT, env, extendEnv: false, reject: false, stdin: "ignore" });
      expect(result.exitCode, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
      const out = String(result.stdout);
      expect(out).toMatch(/^added demo-1 \([a-z0-9]{6}\), status new; power type fake: TEST ONLY$/m);
      // accept prints the three machines, then machines list does.
      expect(out.match(/^demo-\d\s+\S+\s+ready\s.*fake \(TEST ONLY\)/gm)).toHaveLength(6);
      expect(out).toMatch(/^aws profile:\s+orchestra-demo \(/m);
      expect(out).toMatch(/^ami-[0-9a-f]{17}\tubuntu\/images\/ubuntu-noble-24\.04-amd64-server$/m);
      expect(out).toMatch(/^i-[0-9a-f]{17}\trunning\tdemo-\d\tdemo$/m);
      expect(out).toMatch(/^demo-\d\s+\S+\s+deployed\s/m);
      expect(out.trimEnd().split("\n").at(-1)).toBe("terminated");
      expect(readFileSync(join(home, ".aws", "config"), "utf8")).toBe("[profile orchestra-demo]\nregion = orchestra\nendpoint_url = http://127.0.0.1:8773\n");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("the README's links", () => {
  it("point only inside the project, at files that exist", () => {
    const targets = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|#)/.test(t));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const path = resolve(ROOT, target.split("#")[0]!);
      expect(path.startsWith(ROOT + "/"), `${target} leaves the project`).toBe(true);
      expect(existsSync(path), `${target} does not exist`).toBe(true);
    }
  });
});
