import { describe, expect, it } from "vitest";
import { on, state, relation, peerRelation, secret, getRelation, findSecret, DEFAULT_UNIT_DATA, type State } from "../../lib/testing/index.ts";
import { isOrchestraError } from "../../lib/errors.ts";
import { runProbe, probeContext } from "./probe.ts";

const results = (r: { results: { result?: unknown; error?: string }[] }) => r.results.map((x) => x.error ?? x.result);

describe.concurrent("Context: environment and config", () => {
  it("sets the hook environment of a relation hook", async () => {
    const db = relation({ endpoint: "db", remoteApp: "postgresql", remoteUnitsData: { 0: {}, 3: {} } });
    const r = await runProbe([["env"]], on.relationChanged(db, { remoteUnit: 3 }), state({ relations: [db] }));
    expect(r.results[0]!.result).toMatchObject({
      kind: "hook", name: "db-relation-changed", unitName: "probe/0", appName: "probe",
      relationName: "db", relationId: `db:${db.id}`, remoteApp: "postgresql", remoteUnit: "postgresql/3",
    });
  });

  it("sets the action environment", async () => {
    const r = await runProbe([["env"], ["actionGet"]], on.action("do", { label: "x" }), state());
    expect(r.results[0]!.result).toMatchObject({ kind: "action", name: "do", actionName: "do" });
    // The default from actions.yaml is filled in, as Juju does.
    expect(r.results[1]!.result).toEqual({ count: 1, label: "x" });
  });

  it("config-get merges config.yaml defaults under the State's values", async () => {
    const r = await runProbe([["configGet"], ["configGet", { all: true }], ["configGetKey", "port"]], on.configChanged(), state({ config: { name: "n", port: 80 } }));
    expect(results(r)).toEqual([
      { name: "n", port: 80, ratio: 0.5, enabled: true },
      { name: "n", port: 80, ratio: 0.5, enabled: true },
      80,
    ]);
    const unset = await runProbe([["configGet", { all: true }]], on.configChanged(), state());
    expect(results(unset)).toEqual([{ name: "probe", port: null, ratio: 0.5, enabled: true }]);
  });
});

describe.concurrent("Context: relations", () => {
  it("lists, reads and writes relation data; the new State carries the writes", async () => {
    const db = relation({ endpoint: "db", remoteApp: "postgresql", remoteAppData: { endpoints: "h:5432" }, remoteUnitsData: { 0: { a: "1" } } });
    const input = state({ leader: true, relations: [db] });
    const r = await runProbe([
      ["relationIds", "db"],
      ["relationList"],
      ["relationRemoteApp"],
      ["relationGet", "postgresql", { app: true }],
      ["relationGet", "postgresql/0"],
      ["relationSet", { database: "orchestra", gone: "" }, { app: true }],
      ["relationSet", { mine: "yes", "private-address": "" }],
      ["relationModelGet", { relationId: `db:${db.id}` }],
    ], on.relationChanged(db), input);
    expect(results(r)).toEqual([
      [`db:${db.id}`], ["postgresql/0"], "postgresql", { endpoints: "h:5432" }, { a: "1" }, null, null,
      { uuid: "00000000-0000-4000-8000-000000000000" },
    ]);
    const out = getRelation(r.out.state, db);
    expect(out.localAppData).toEqual({ database: "orchestra" });
    expect(out.localUnitData).toEqual({ "egress-subnets": "192.0.2.0/32", "ingress-address": "192.0.2.0", mine: "yes" });
    // The input State is left alone.
    expect(getRelation(input, db).localAppData).toEqual({});
  });

  it("a non-leader cannot write application data", async () => {
    const db = relation({ endpoint: "db" });
    const r = await runProbe([["relationSet", { a: "b" }, { app: true }]], on.relationChanged(db), state({ relations: [db] }));
    expect(results(r)).toEqual(["NOT_LEADER"]);
    expect(getRelation(r.out.state, db).localAppData).toEqual({});
  });

  it("an unknown relation id is RELATION_NOT_FOUND", async () => {
    const r = await runProbe([["relationList", { relationId: "db:999" }], ["relationGet", "x/0", { relationId: "999" }]], on.install(), state());
    expect(results(r)).toEqual(["RELATION_NOT_FOUND", "RELATION_NOT_FOUND"]);
  });

  it("departed hides the departing unit from relation-list but keeps its data readable", async () => {
    const db = relation({ endpoint: "db", remoteApp: "pg", remoteUnitsData: { 0: { a: "0" }, 1: { a: "1" } } });
    const r = await runProbe([["relationList"], ["relationGet", "pg/1"], ["env"]], on.relationDeparted(db, { departingUnit: 1 }), state({ relations: [db] }));
    expect(r.results[0]!.result).toEqual(["pg/0"]);
    expect(r.results[1]!.result).toEqual({ a: "1" });
    expect(r.results[2]!.result).toMatchObject({ departingUnit: "pg/1" });
  });

  it("broken drops the relation from relation-ids", async () => {
    const a = relation({ endpoint: "website" });
    const b = relation({ endpoint: "website" });
    const r = await runProbe([["relationIds", "website"]], on.relationBroken(a), state({ relations: [a, b] }));
    expect(r.results[0]!.result).toEqual([`website:${b.id}`]);
  });

  it("under Juju 3.1-3.5 broken still lists the relation, and a write to it fails the hook", async () => {
    const a = relation({ endpoint: "website" });
    const b = relation({ endpoint: "website" });
    const r = await runProbe([["relationIds", "website"], ["relationSet", { x: "1" }, { relationId: `website:${a.id}` }], ["relationSet", { x: "1" }, { relationId: `website:${b.id}` }]], on.relationBroken(a), state({ relations: [a, b] }), { jujuVersion: "3.5.4" });
    expect(r.results[0]!.result).toEqual([`website:${a.id}`, `website:${b.id}`]);
    expect(r.results[1]!.message).toContain("the relation is being broken");
    expect(r.results[2]!.error).toBeUndefined();
  });

  it("sets JUJU_VERSION to the Juju it plays", async () => {
    const r = await runProbe([["env"]], on.install(), state(), { jujuVersion: "3.1.8" });
    expect(r.results[0]!.result).toMatchObject({ jujuVersion: "3.1.8" });
  });

  it("peer relations see the other units of this application", async () => {
    const peers = peerRelation({ endpoint: "peers", peersData: { 1: { addr: "10.0.0.2" } } });
    const r = await runProbe([["relationList", { relationId: `peers:${peers.id}` }], ["relationRemoteApp", { relationId: `peers:${peers.id}` }], ["relationGet", "probe", { relationId: `peers:${peers.id}`, app: true }]], on.install(), state({ relations: [peers] }));
    expect(results(r)).toEqual([["probe/1"], "probe", {}]);
  });
});

describe.concurrent("Context: ports, status, logs, leadership, unit state", () => {
  it("records ports, statuses, logs, version, leader settings and stored state", async () => {
    const r = await runProbe([
      ["openPort", "8773/tcp"], ["openPort", "67-69/udp"], ["closePort", "80/tcp"], ["openedPorts"],
      ["statusSet", "maintenance", "installing"], ["statusSet", "active", ""], ["statusSet", "active", "app ok", { application: true }],
      ["statusGet"], ["jujuLog", "hello", "WARNING"], ["applicationVersionSet", "1.2"],
      ["isLeader"], ["leaderSet", { k: "v" }], ["leaderGet"],
      ["stateSet", { a: "1", b: "2" }], ["stateDelete", "b"], ["stateGet"],
    ], on.install(), state({ leader: true, openedPorts: ["80/tcp"] }));
    expect(r.results.filter((x) => x.error)).toEqual([]);
    expect(r.out.state.openedPorts).toEqual(["8773/tcp", "67-69/udp"]);
    expect(r.out.unitStatusHistory).toEqual([{ status: "maintenance", message: "installing" }, { status: "active", message: "" }]);
    expect(r.out.state.unitStatus).toEqual({ status: "active", message: "" });
    expect(r.out.state.appStatus).toEqual({ status: "active", message: "app ok" });
    expect(r.results[7]!.result).toEqual({ status: "active", message: "" });
    expect(r.out.logs).toEqual([{ level: "WARNING", message: "hello" }]);
    expect(r.out.state.workloadVersion).toBe("1.2");
    expect(r.out.state.leaderData).toEqual({ k: "v" });
    expect(r.out.state.stored).toEqual({ a: "1" });
    expect(r.out.toolCalls[0]).toEqual(["open-port", "8773/tcp"]);
  });

  it("a non-leader may not set app status or leader settings", async () => {
    const r = await runProbe([["statusSet", "active", "x", { application: true }], ["leaderSet", { k: "v" }], ["isLeader"]], on.install(), state());
    expect(results(r)).toEqual(["NOT_LEADER", "NOT_LEADER", false]);
    expect(r.out.state.leaderData).toEqual({});
  });

  it("network-get gives every endpoint and extra binding a default address; unknown bindings fail", async () => {
    const r = await runProbe([["ingressAddress", "website"], ["ingressAddress", "admin"], ["networkGet", "nope"]], on.install(), state());
    expect(results(r)).toEqual(["192.0.2.0", "192.0.2.0", "BINDING_NOT_FOUND"]);
    const custom = await runProbe([["ingressAddress", "website"]], on.install(), state({
      networks: { website: { "bind-addresses": [], "egress-subnets": [], "ingress-addresses": ["10.9.9.9"] } },
    }));
    expect(results(custom)).toEqual(["10.9.9.9"]);
  });
});

describe.concurrent("Context: secrets", () => {
  it("adds, reads, updates, grants and removes secrets", async () => {
    const db = relation({ endpoint: "db", remoteApp: "pg" });
    const old = secret({ label: "old", contents: { "old-key": "x" } });
    const r = await runProbe([
      ["secretAdd", { "access-key-id": "AK", "secret-key": "SK" }, { label: "cred" }],
      ["secretGet", { label: "cred" }],
      ["secretIds"],
      ["secretRemove", old.id],
    ], on.relationJoined(db), state({ leader: true, relations: [db], secrets: [old] }));
    const id = r.results[0]!.result as string;
    expect(id).toMatch(/^secret:[0-9a-v]{20}$/);
    expect(r.results[1]!.result).toEqual({ "access-key-id": "AK", "secret-key": "SK" });
    expect(r.results[2]!.result).toEqual([old.id, id]);
    expect(findSecret(r.out.state, old.id)).toBeUndefined();

    const second = await runProbe([
      ["secretSet", id, { "access-key-id": "AK2" }],
      ["secretGrant", id, `db:${db.id}`],
      ["secretGrant", id, `db:${db.id}`, { unit: "pg/7" }],
    ], on.relationChanged(db), r.out.state);
    expect(results(second)).toEqual([null, null, "HOOK_TOOL_FAILED"]);
    expect(findSecret(second.out.state, "cred")).toMatchObject({ revision: 2, contents: { "access-key-id": "AK2" }, grants: { [String(db.id)]: ["*"] } });
  });

  it("a non-leader cannot add application secrets; a missing secret is SECRET_NOT_FOUND", async () => {
    const r = await runProbe([["secretAdd", { "abc-def": "x" }], ["secretGet", { label: "nope" }]], on.install(), state());
    expect(results(r)).toEqual(["PERMISSION_DENIED", "SECRET_NOT_FOUND"]);
  });

  it("another application's secret opens only where it was granted to this unit or its application", async () => {
    const db = relation({ endpoint: "db", remoteApp: "pg" });
    const toApp = secret({ owner: "remote", contents: { username: "a" }, grants: { [String(db.id)]: ["*"] } });
    const toUnit = secret({ owner: "remote", contents: { username: "b" }, grants: { [String(db.id)]: ["probe/0"] } });
    const toOtherUnit = secret({ owner: "remote", contents: { username: "c" }, grants: { [String(db.id)]: ["probe/1"] } });
    const elsewhere = secret({ owner: "remote", contents: { username: "d" }, grants: { "999": ["*"] } });
    const never = secret({ owner: "remote", contents: { username: "e" }, grants: {} });
    const r = await runProbe(
      [toApp, toUnit, toOtherUnit, elsewhere, never].map((s) => ["secretGet", { id: s.id }]),
      on.install(), state({ relations: [db], secrets: [toApp, toUnit, toOtherUnit, elsewhere, never] }));
    expect(results(r)).toEqual([{ username: "a" }, { username: "b" }, "PERMISSION_DENIED", "PERMISSION_DENIED", "PERMISSION_DENIED"]);
  });
});

describe.concurrent("Context: actions", () => {
  it("returns nested results, logs and failure", async () => {
    const r = await runProbe([["actionSet", { "access-key": "AK", machines: { count: 2 } }], ["actionLog", "working"], ["actionFail", "nope"]], on.action("do", { label: "x" }), state());
    expect(r.out.exitCode).toBe(0);
    expect(r.out.actionResults).toEqual({ "access-key": "AK", machines: { count: "2" } });
    expect(r.out.actionLogs).toEqual(["working"]);
    expect(r.out.actionFailure).toBe("nope");
  });

  it("action tools are refused in a hook", async () => {
    const r = await runProbe([["actionGet"]], on.install(), state());
    expect(results(r)).toEqual(["HOOK_TOOL_FAILED"]);
  });
});

describe.concurrent("Context: a failing hook", () => {
  const db = relation({ endpoint: "db" });
  const input: State = state({ leader: true, relations: [db] });
  const steps = [
    ["relationSet", { a: "b" }, { app: true }], ["openPort", "80/tcp"], ["stateSet", { s: "1" }],
    ["secretAdd", { "abc-key": "x" }], ["statusSet", "maintenance", "half way"], ["leaderSet", { l: "1" }],
    ["jujuLog", "about to fail"], ["exit", 3],
  ];

  it("run() throws CHARM_HOOK_FAILED with the output attached", async () => {
    const ctx = probeContext(steps);
    const error = await ctx.run(on.relationChanged(db), input).then(() => undefined, (e: unknown) => e);
    expect(isOrchestraError(error, "CHARM_HOOK_FAILED")).toBe(true);
    expect((error as { details: { output: { exitCode: number } } }).details.output.exitCode).toBe(3);
  });

  it("drops relation data, ports, stored state and secrets, keeps status, leader settings and logs", async () => {
    const r = await runProbe(steps, on.relationChanged(db), input, { unchecked: true });
    expect(r.out.exitCode).toBe(3);
    expect(getRelation(r.out.state, db).localAppData).toEqual({});
    expect(r.out.state.openedPorts).toEqual([]);
    expect(r.out.state.stored).toEqual({});
    expect(r.out.state.secrets).toEqual([]);
    expect(r.out.state.unitStatus).toEqual({ status: "maintenance", message: "half way" });
    expect(r.out.state.leaderData).toEqual({ l: "1" });
    expect(r.out.logs).toEqual([{ level: "INFO", message: "about to fail" }]);
  });
});

describe.concurrent("Context: consistency with the charm's metadata", () => {
  const ctx = probeContext([]);
  const refuse = async (event: Parameters<typeof ctx.run>[0], input: State, text: string) => {
    const error = await ctx.run(event, input).then(() => undefined, (e: unknown) => e);
    expect(isOrchestraError(error, "INCONSISTENT_STATE")).toBe(true);
    expect((error as Error).message).toContain(text);
  };

  it("refuses unknown config keys and wrong types", async () => {
    await refuse(on.configChanged(), state({ config: { nope: "x" } }), "\"nope\" is not in config.yaml");
    await refuse(on.configChanged(), state({ config: { port: "80" } }), "\"port\" is a int");
    await refuse(on.configChanged(), state({ config: { port: 1.5 } }), "\"port\" is a int");
    await refuse(on.configChanged(), state({ config: { enabled: "yes" } }), "\"enabled\" is a boolean");
  });

  it("refuses unknown endpoints, wrong interfaces, peers as regular, over-limit", async () => {
    await refuse(on.install(), state({ relations: [relation({ endpoint: "nope" })] }), "\"nope\" is not in metadata.yaml");
    await refuse(on.install(), state({ relations: [relation({ endpoint: "db", interface: "mysql" })] }), "interface \"postgresql_client\"");
    await refuse(on.install(), state({ relations: [relation({ endpoint: "peers" })] }), "use peerRelation()");
    await refuse(on.install(), state({ relations: [relation({ endpoint: "db" }), relation({ endpoint: "db" })] }), "allows 1 relation");
  });

  it("refuses a relation event whose relation is not in the State", async () => {
    await refuse(on.relationChanged(relation({ endpoint: "db" })), state(), "is not in the State");
  });

  it("refuses unknown actions, params and missing required params", async () => {
    await refuse(on.action("nope"), state(), "\"nope\" is not in actions.yaml");
    await refuse(on.action("do", { label: "x", extra: 1 }), state(), "no parameter \"extra\"");
    await refuse(on.action("do", { label: "x", count: "2" }), state(), "must be integer");
    await refuse(on.action("do", {}), state(), "needs parameter \"label\"");
  });

  it("refuses unknown hooks", async () => {
    await refuse({ kind: "hook", name: "frobnicate" }, state(), "not a Juju hook");
  });
});

describe("state helpers", () => {
  it("relation() fills Juju's default databags and unique ids", () => {
    const a = relation({ endpoint: "db" });
    const b = relation({ endpoint: "db" });
    expect(a.id).not.toBe(b.id);
    expect(a.localUnitData).toEqual(DEFAULT_UNIT_DATA);
    expect(a.remoteUnitsData).toEqual({ 0: DEFAULT_UNIT_DATA });
  });
});
