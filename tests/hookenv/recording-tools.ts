/**
 * Recording stand-ins for Juju hook tools: real executables on PATH that log their argv
 * and stdin and answer with canned stdout, stderr and exit code. They let the hookenv
 * tests check the exact argv each function sends, through a real subprocess.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RecordedCall {
  argv: string[];
  stdin: string;
}

export interface RecordingTools {
  dir: string;
  /** Installs a tool that answers with this stdout (and optional stderr/exit code). */
  answer(tool: string, stdout: string, options?: { stderr?: string; exitCode?: number }): void;
  calls(): RecordedCall[];
  cleanup(): void;
}

const RECORD_SEPARATOR = "\u001e";

/** Creates a temp dir of recording tools and puts it first on PATH. */
export function installRecordingTools(): RecordingTools {
  const dir = mkdtempSync(join(tmpdir(), "hookenv-test-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const oldPath = process.env.PATH;
  // Only our dir plus the system dirs the scripts need (cat, printf): a tool we did not
  // install must be missing, not found elsewhere.
  process.env.PATH = `${bin}:/usr/bin:/bin`;
  return {
    dir,
    answer(tool, stdout, options = {}) {
      writeFileSync(join(dir, `${tool}.out`), stdout);
      writeFileSync(join(dir, `${tool}.err`), options.stderr ?? "");
      const script = [
        "#!/bin/sh",
        `d='${dir}'`,
        `{ for a in "$(basename "$0")" "$@"; do printf '%s\\n' "$a"; done; printf '${RECORD_SEPARATOR}\\n'; } >> "$d/argv.log"`,
        `cat >> "$d/stdin.log"; printf '${RECORD_SEPARATOR}\\n' >> "$d/stdin.log"`,
        `cat "$d/${tool}.out"`,
        `cat "$d/${tool}.err" >&2`,
        `exit ${options.exitCode ?? 0}`,
        "",
      ].join("\n");
      writeFileSync(join(bin, tool), script);
      chmodSync(join(bin, tool), 0o755);
    },
    calls() {
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
      const argvs = read("argv.log").split(`${RECORD_SEPARATOR}\n`).filter((s) => s !== "");
      const stdins = read("stdin.log").split(`${RECORD_SEPARATOR}\n`);
      return argvs.map((a, i) => ({ argv: a.replace(/\n$/, "").split("\n"), stdin: stdins[i] ?? "" }));
    },
    cleanup() {
      process.env.PATH = oldPath;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
