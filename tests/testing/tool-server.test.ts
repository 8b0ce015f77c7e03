import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { installToolScripts, parseToolRequest, startToolServer, type ToolServer } from "../../lib/testing/tool-server.ts";
import type { World } from "../../lib/testing/world.ts";

function emptyWorld(): World {
  return {
    unitName: "t/0", appName: "t", modelName: "m", modelUuid: "u", leader: true, config: {}, configOptions: [],
    relations: [{ id: 1, endpoint: "db", interface: "x", kind: "regular", remoteApp: "r", localAppData: {}, localUnitData: {}, remoteAppData: {}, remoteUnitsData: { "r/0": {} } }],
    networks: {}, openedPorts: [], secrets: [], stored: {}, leaderData: {},
    unitStatus: { status: "unknown", message: "" }, appStatus: { status: "unknown", message: "" }, workloadVersion: "",
    hook: {}, logs: [], unitStatusHistory: [], appStatusHistory: [], workloadVersionHistory: [], actionResults: {}, actionLogs: [], toolCalls: [],
  };
}

let dir: string;
let world: World;
let server: ToolServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tool-server-"));
  world = emptyWorld();
  server = await startToolServer(world);
  installToolScripts(dir, ["relation-set", "juju-log", "relation-get", "state-get"], server.port);
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the bash tool scripts and their server", () => {
  it("carry awkward argv and large stdin byte for byte", async () => {
    const message = "multi\nline 'quoted' \"double\" $HOME `tick` ünïcødé -- -x";
    await execa(join(dir, "juju-log"), ["--log-level", "WARNING", "--", message]);
    expect(world.logs).toEqual([{ level: "WARNING", message }]);
    const big = { blob: "x".repeat(200_000), trailing: "ends with newlines\n\n" };
    await execa(join(dir, "relation-set"), ["-r", "db:1", "--file", "-"], { input: JSON.stringify(big) });
    expect(world.relations[0]!.localUnitData).toEqual(big);
    const got = await execa(join(dir, "relation-get"), ["--format=json", "-r", "db:1", "-", "t/0"]);
    expect(JSON.parse(got.stdout)).toEqual(big);
  });

  it("pass the tool's exit code and ERROR line through", async () => {
    const result = await execa(join(dir, "relation-get"), ["-r", "db:9", "-", "t/0"], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe("ERROR invalid value \"db:9\" for option -r: relation not found");
    expect(result.stdout).toBe("");
  });

  it("does not read stdin unless told --file -", async () => {
    // An open stdin that never closes must not hang a tool that takes no input.
    const child = execa(join(dir, "state-get"), ["--format=json"], { stdin: "pipe" });
    const result = await child;
    expect(result.stdout).toBe("{}");
    child.stdin?.destroy();
  });

  it("parses a request only once it is whole", () => {
    const request = Buffer.concat([Buffer.from("juju-log\u00002\u0000--\u0000hi\u00003\u0000"), Buffer.from("abc")]);
    expect(parseToolRequest(request.subarray(0, request.length - 1))).toBeUndefined();
    expect(parseToolRequest(request)).toEqual({ tool: "juju-log", argv: ["--", "hi"], stdin: "abc" });
  });
});
