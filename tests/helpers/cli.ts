/**
 * Runs the real `orchestra` CLI as a child process, from source, on the Node running the tests.
 */
import { execa, type ResultPromise } from "execa";

const MAIN = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

/** Run `orchestra ARGS...` to completion; never throws on a non-zero exit. */
export async function orchestra(args: readonly string[], env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, [MAIN, ...args], { reject: false, env, stdin: "ignore" });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Start `orchestra ARGS...` in the background (for `serve`). */
export function startOrchestra(args: readonly string[]): ResultPromise {
  return execa(process.execPath, [MAIN, ...args], { reject: false, stdin: "ignore", buffer: false });
}
