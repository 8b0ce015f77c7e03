/**
 * The git dependency form the README documents, proved: the example charm (tests/example-charm)
 * as its own project, an ES module (`"type": "module"`) depending on
 * `@orchestra-charm/orchestra` by a `git+file://` URL to a bare repository made here from the
 * package's sources (the stand-in for `git+https://` to the project's repository, which is
 * not reachable from here). The real npm clones it, installs its dependencies, runs its
 * `prepare` script (the build) and installs the result; the charm then runs through the
 * package's testing export, importing its hookenv export. npm fetches the dependencies'
 * metadata from the registry (as `npm ci` does), preferring its cache.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
/** What the package builds from (tsconfig.build.json's lib and charm, tools/bundle-cli.ts, the bin, the manifests). */
const SOURCES = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "bin", "lib", "charm", "tools", "LICENSE", "README.md"];
const GIT = ["-c", "user.name=Orchestra test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"];

describe("a charm depending on Orchestra by git URL", () => {
  it("installs it from git+file://, built by its prepare script, and runs through its exports", { timeout: 900_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), `orchestra-git-dep-${process.pid}-`));
    try {
      const source = join(dir, "orchestra");
      mkdirSync(source);
      for (const path of SOURCES) cpSync(join(ROOT, path), join(source, path), { recursive: true });
      await execa("git", [...GIT, "init", "-q"], { cwd: source });
      await execa("git", [...GIT, "add", "-A"], { cwd: source });
      await execa("git", [...GIT, "commit", "-qm", "orchestra"], { cwd: source });
      const bare = join(dir, "orchestra.git");
      await execa("git", ["clone", "-q", "--bare", source, bare]);

      // The example charm as its own project, exactly as the README tells another charm to depend.
      const charm = join(dir, "hello-charm");
      mkdirSync(join(charm, "src"), { recursive: true });
      for (const file of ["metadata.yaml", "config.yaml", "actions.yaml", "src/charm.ts"]) cpSync(join(ROOT, "tests", "example-charm", file), join(charm, file));
      writeFileSync(join(charm, "package.json"), JSON.stringify({ name: "hello-charm", private: true, type: "module", dependencies: { "@orchestra-charm/orchestra": `git+file://${bare}` } }, null, 2));
      await execa("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: charm });

      writeFileSync(
        join(charm, "check.js"),
        [
          'import { Context, state } from "@orchestra-charm/orchestra/testing";',
          'const ctx = new Context({ charmDir: ".", command: [process.execPath, "src/charm.ts"] });',
          'const out = await ctx.run(ctx.on.action("greet", { name: "Ensemble" }), state());',
          "console.log(JSON.stringify(out.actionResults));",
        ].join("\n"),
      );
      expect((await execa(process.execPath, ["check.js"], { cwd: charm })).stdout).toBe('{"message":"hello, Ensemble!"}');
      // The installed bin is the built CLI.
      expect((await execa(join(charm, "node_modules", ".bin", "orchestra"), ["--version"], { cwd: charm })).stdout).toMatch(/^\d+\.\d+\.\d+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
