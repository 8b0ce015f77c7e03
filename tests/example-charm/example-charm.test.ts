/**
 * Tests the example charm the way another TypeScript charm would test itself: only through
 * the package's exports (orchestra/testing here, orchestra/hookenv inside the charm).
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { Context, getRelation, relation, state } from "@orchestra-charm/orchestra/testing";

const charmDir = import.meta.dirname;
const ctx = new Context({ charmDir, command: [process.execPath, join(charmDir, "src", "charm.ts")] });

describe("the hello example charm", () => {
  it("publishes its address and port on website relations and goes active", async () => {
    const website = relation({ endpoint: "website", remoteApp: "haproxy" });
    const out = await ctx.run(ctx.on.relationJoined(website), state({ relations: [website], config: { greeting: "hi" } }));
    expect(getRelation(out.state, website).localUnitData).toMatchObject({ hostname: "192.0.2.0", port: "8080" });
    expect(out.state.openedPorts).toEqual(["8080/tcp"]);
    expect(out.state.unitStatus).toEqual({ status: "active", message: "saying hi" });
  });

  it("blocks on a bad port", async () => {
    const out = await ctx.run(ctx.on.configChanged(), state({ config: { port: 0 } }));
    expect(out.state.unitStatus).toEqual({ status: "blocked", message: "port must be 1-65535, got 0" });
    expect(out.state.openedPorts).toEqual([]);
  });

  it("answers the greet action", async () => {
    const out = await ctx.run(ctx.on.action("greet", { name: "Ensemble" }), state());
    expect(out.actionResults).toEqual({ message: "hello, Ensemble!" });
  });

  it("the Context refuses a config option the charm does not declare", async () => {
    await expect(ctx.run(ctx.on.configChanged(), state({ config: { colour: "blue" } }))).rejects.toThrow(/"colour" is not in config.yaml/);
  });
});
