import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCharmSpec, type State } from "../../../lib/testing/index.ts";
import { ACTIONS } from "../../../charm/actions/action-table.ts";
import { charmHarness, configured, repoRoot, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
let installed: State;
beforeAll(async () => {
  h = charmHarness();
  installed = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "" } }))).state;
});
afterAll(() => h.cleanup());

const cliCalls = () => h.commands().filter((c) => c[0] === "orchestra").map((c) => c.slice(3));

async function act(name: string, params: Record<string, unknown>, input: State = installed) {
  h.clearCommands();
  return await h.ctx.run(h.ctx.on.action(name, params), input);
}

describe("actions", () => {
  it("every action in actions.yaml has a handler and every handler is declared", () => {
    expect(Object.keys(ACTIONS).sort()).toEqual(Object.keys(loadCharmSpec(repoRoot).actions).sort());
  });

  it("create-credentials returns a new access key for the account", async () => {
    const out = await act("create-credentials", { account: "juju" });
    expect(out.actionFailure).toBeUndefined();
    expect(out.actionResults).toEqual({ account: "juju", "access-key-id": expect.stringMatching(/^AKIAORCHESTRA/), "secret-access-key": expect.stringMatching(/^secret-/), endpoint: "http://192.0.2.0:8773/", region: "orchestra" });
    expect(cliCalls()).toEqual([["credentials", "create", "--account", "juju", "--json"]]);
    // An action changes nothing a hook would: same State back.
    expect(out.state).toEqual(installed);
  });

  it("create-credentials refuses a bad account name without calling orchestra", async () => {
    const out = await act("create-credentials", { account: "Bad Name" });
    expect(out.actionFailure).toContain("account \"Bad Name\" must be lowercase");
    expect(cliCalls()).toEqual([]);
  });

  it("list-machines returns counts and machines, filtered by status", async () => {
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    writeFileSync(join(h.stateDir, "machines.json"), JSON.stringify([
      { systemId: "m-1", hostname: "node-1", status: "ready" },
      { systemId: "m-2", hostname: "node-2", status: "new" },
      { systemId: "m-3", hostname: "node-3", status: "ready" },
    ]));
    const all = await act("list-machines", {});
    expect(all.actionResults).toMatchObject({ count: "3", counts: JSON.stringify({ ready: 2, new: 1 }) });
    const ready = await act("list-machines", { status: "ready" });
    expect(ready.actionResults.count).toBe("2");
    expect(JSON.parse(ready.actionResults.machines as string)).toEqual([
      { systemId: "m-1", hostname: "node-1", status: "ready" },
      { systemId: "m-3", hostname: "node-3", status: "ready" },
    ]);
  });

  it.each([["accept-machines", "accept"], ["commission-machines", "commission"]])("%s passes every machine to orchestra machines %s", async (action, verb) => {
    const out = await act(action, { machines: "m-1  node-2\taa:bb:cc:dd:ee:ff" });
    expect(out.actionResults).toEqual({ count: "3", machines: "m-1:commissioning node-2:commissioning aa:bb:cc:dd:ee:ff:commissioning" });
    expect(cliCalls()).toEqual([["machines", verb, "m-1", "node-2", "aa:bb:cc:dd:ee:ff", "--json"]]);
  });

  it("accept-machines refuses an empty list", async () => {
    const out = await act("accept-machines", { machines: "  " });
    expect(out.actionFailure).toContain("machines is empty");
    expect(cliCalls()).toEqual([]);
  });

  it("enlist-machine registers the machine with its power parameters", async () => {
    const out = await act("enlist-machine", { mac: "52:54:00:12:34:56", "power-type": "ipmi", "power-params": "address=10.0.0.5 user=admin", hostname: "rack1-a" });
    expect(out.actionResults).toEqual({ "system-id": "m-abc123", hostname: "node-m-abc123", status: "new" });
    expect(cliCalls()).toEqual([["machines", "add", "--mac", "52:54:00:12:34:56", "--power-type", "ipmi", "--arch", "amd64", "--power-param", "address=10.0.0.5", "--power-param", "user=admin", "--hostname", "rack1-a", "--json"]]);
  });

  it.each([
    [{ mac: "52:54:00:12:34", "power-type": "ipmi" }, "is not a MAC address"],
    [{ mac: "52:54:00:12:34:56", "power-type": "fake" }, "power-type \"fake\" must be one of"],
    [{ mac: "52:54:00:12:34:56", "power-type": "ipmi", "power-params": "address" }, "\"address\" is not key=value"],
  ])("enlist-machine refuses %j", async (params, text) => {
    const out = await act("enlist-machine", params);
    expect(out.actionFailure).toContain(text);
    expect(cliCalls()).toEqual([]);
  });

  it("import-images uses the image-sources config, or refuses without sources", async () => {
    const none = await act("import-images", {});
    expect(none.actionFailure).toContain("no image sources");
    const configuredSources = { ...installed, config: { ...installed.config, "image-sources": "http://images.example/streams/v1" } };
    const out = await act("import-images", {}, configuredSources);
    expect(out.actionResults).toEqual({ sources: "http://images.example/streams/v1", imported: JSON.stringify([{ name: "noble", arch: "amd64" }]) });
    expect(cliCalls()).toEqual([["images", "import", "http://images.example/streams/v1", "--json"]]);
  });

  it("an orchestra failure fails the action with its message and leaves the unit alone", async () => {
    h.flag("orchestra-fail");
    try {
      const out = await act("list-machines", {});
      expect(out.exitCode).toBe(0);
      expect(out.actionFailure).toContain("the store is unavailable");
      expect(out.state.unitStatus).toEqual(installed.unitStatus);
    } finally {
      h.flag("orchestra-fail", false);
    }
  });

  it("actions fail with the config problem when config is invalid", async () => {
    const out = await act("list-machines", {}, { ...installed, config: { ...installed.config, "dhcp-mode": "sometimes" } });
    expect(out.actionFailure).toContain("dhcp-mode must be full, proxy or off");
    expect(cliCalls()).toEqual([]);
  });
});
