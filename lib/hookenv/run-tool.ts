/**
 * @module hookenv/run-tool
 * The one place a Juju hook tool is executed. Every typed tool function goes through
 * runTool(), so a failing tool always becomes the same typed OrchestraError.
 */
import { execa } from "execa";
import { OrchestraError, type ErrorCode } from "../errors.ts";

/** Options for one hook-tool call. */
export interface RunToolOptions {
  /** Text fed to the tool's stdin (relation-set --file -, state-set --file -). */
  input?: string;
}

/**
 * stderr patterns Juju prints, mapped to our codes; checked in order, first match wins.
 * The texts are the ones ops matches on (juju_charm.md, "Errors").
 */
const STDERR_PATTERNS: ReadonlyArray<readonly [RegExp, ErrorCode]> = [
  [/relation not found/i, "RELATION_NOT_FOUND"],
  [/not the leader|cannot write relation settings/i, "NOT_LEADER"],
  [/permission denied/i, "PERMISSION_DENIED"],
  [/no network config found for binding/i, "BINDING_NOT_FOUND"],
  [/secret .*not found|not found.*secret/i, "SECRET_NOT_FOUND"],
];

/** Maps a failed tool's stderr to the most specific error code. */
export function classifyToolError(stderr: string): ErrorCode {
  for (const [pattern, code] of STDERR_PATTERNS) {
    if (pattern.test(stderr)) return code;
  }
  return "HOOK_TOOL_FAILED";
}

/**
 * Runs one hook tool with an argv array and returns its stdout.
 * @throws OrchestraError HOOK_TOOL_MISSING when the tool is not on PATH, or the code
 * classifyToolError() picks when it exits non-zero.
 */
export async function runTool(argv: readonly string[], options: RunToolOptions = {}): Promise<string> {
  const [tool, ...args] = argv;
  if (tool === undefined) throw new OrchestraError("INVALID_ARGUMENT", "runTool needs a tool name");
  const result = await execa(tool, args, {
    input: options.input ?? "",
    reject: false,
    stripFinalNewline: true,
  });
  if (result.code === "ENOENT") {
    throw new OrchestraError("HOOK_TOOL_MISSING", `hook tool ${tool} is not on PATH; is this running inside a Juju hook?`, { tool });
  }
  if (result.failed) {
    const stderr = String(result.stderr ?? "").trim();
    const message = stderr.replace(/^ERROR\s+/, "") || `${tool} failed with exit code ${result.exitCode}`;
    throw new OrchestraError(classifyToolError(stderr), `${tool}: ${message}`, {
      tool,
      argv: [...argv],
      exitCode: result.exitCode,
      stderr,
    });
  }
  return String(result.stdout ?? "");
}

/** Runs a tool that prints JSON (`--format=json`) and parses its output. */
export async function runToolJson<T>(argv: readonly string[], options: RunToolOptions = {}): Promise<T> {
  const out = await runTool(argv, options);
  if (out.trim() === "") return null as T;
  try {
    return JSON.parse(out) as T;
  } catch (cause) {
    throw new OrchestraError("HOOK_TOOL_FAILED", `${argv[0]} printed output that is not JSON: ${out.slice(0, 200)}`, { argv: [...argv] }, { cause });
  }
}
