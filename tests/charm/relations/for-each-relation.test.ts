import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { forEachRelation } from "../../../charm/relations/for-each-relation.ts";
import { relationSet } from "../../../lib/hookenv/index.ts";
import { installRecordingTools, type RecordingTools } from "../../hookenv/recording-tools.ts";

let tools: RecordingTools;
beforeEach(() => { tools = installRecordingTools(); });
afterEach(() => tools.cleanup());

describe("forEachRelation", () => {
  it("skips a relation that vanished mid-hook with a warning and goes on", async () => {
    tools.answer("relation-ids", "[\"syslog:1\",\"syslog:2\"]");
    tools.answer("juju-log", "");
    const visited: string[] = [];
    // relation-set fails for every relation as Juju does for one that is gone.
    tools.answer("relation-set", "", { stderr: "ERROR invalid value \"syslog:1\" for option -r: relation not found\n", exitCode: 2 });
    await forEachRelation("syslog", async (id) => {
      visited.push(id);
      await relationSet({ a: "b" }, { relationId: id });
    });
    expect(visited).toEqual(["syslog:1", "syslog:2"]);
    expect(tools.calls().filter((c) => c.argv[0] === "juju-log").map((c) => c.argv.at(-1))).toEqual([
      "relation syslog:1 went away during the hook; skipped",
      "relation syslog:2 went away during the hook; skipped",
    ]);
  });

  it("lets other failures through", async () => {
    tools.answer("relation-ids", "[\"syslog:1\"]");
    tools.answer("relation-set", "", { stderr: "ERROR cannot write relation settings\n", exitCode: 1 });
    await expect(forEachRelation("syslog", (id) => relationSet({ a: "b" }, { relationId: id, app: true }))).rejects.toMatchObject({ code: "NOT_LEADER" });
  });
});
