import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runTool, runToolJson, classifyToolError } from "../../lib/hookenv/index.ts";
import { isOrchestraError } from "../../lib/errors.ts";
import { installRecordingTools, type RecordingTools } from "./recording-tools.ts";

let tools: RecordingTools;
beforeEach(() => { tools = installRecordingTools(); });
afterEach(() => tools.cleanup());

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("runTool", () => {
  it("passes argv untouched, feeds stdin and returns stdout", async () => {
    tools.answer("relation-set", "done\n");
    const out = await runTool(["relation-set", "-r", "db:1", "a b; rm -rf /", "$HOME"], { input: "{\"k\":\"v\"}" });
    expect(out).toBe("done");
    expect(tools.calls()).toEqual([
      { argv: ["relation-set", "-r", "db:1", "a b; rm -rf /", "$HOME"], stdin: "{\"k\":\"v\"}" },
    ]);
  });

  it("turns a missing tool into HOOK_TOOL_MISSING", async () => {
    const error = await failure(runTool(["config-get"]));
    expect(isOrchestraError(error, "HOOK_TOOL_MISSING")).toBe(true);
  });

  it.each([
    ["ERROR invalid value \"db:9\" for option -r: relation not found", 2, "RELATION_NOT_FOUND"],
    ["ERROR cannot write relation settings", 1, "NOT_LEADER"],
    ["ERROR this unit is not the leader", 1, "NOT_LEADER"],
    ["ERROR permission denied", 1, "PERMISSION_DENIED"],
    ["ERROR no network config found for binding \"nope\"", 1, "BINDING_NOT_FOUND"],
    ["ERROR secret \"secret:abc\" not found", 1, "SECRET_NOT_FOUND"],
    ["ERROR something else broke", 1, "HOOK_TOOL_FAILED"],
  ] as const)("maps stderr %j to %s", async (stderr, exitCode, code) => {
    tools.answer("relation-get", "", { stderr, exitCode });
    const error = await failure(runTool(["relation-get", "-r", "db:9", "-", "x/0"]));
    expect(isOrchestraError(error, code)).toBe(true);
    expect((error as Error).message).toContain(stderr.replace(/^ERROR /, ""));
    expect(classifyToolError(stderr)).toBe(code);
  });

  it("reports the exit code when the tool prints no stderr", async () => {
    tools.answer("is-leader", "", { exitCode: 3 });
    const error = await failure(runTool(["is-leader"]));
    expect((error as Error).message).toContain("exit code 3");
  });

  it("rejects output that is not JSON from a --format=json tool", async () => {
    tools.answer("config-get", "not json");
    const error = await failure(runToolJson(["config-get", "--format=json"]));
    expect(isOrchestraError(error, "HOOK_TOOL_FAILED")).toBe(true);
  });
});
