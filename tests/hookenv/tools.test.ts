import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as hookenv from "../../lib/hookenv/index.ts";
import { isOrchestraError } from "../../lib/errors.ts";
import { installRecordingTools, type RecordingTools } from "./recording-tools.ts";

let tools: RecordingTools;
beforeEach(() => { tools = installRecordingTools(); });
afterEach(() => tools.cleanup());

const argvs = () => tools.calls().map((c) => c.argv);

describe("config", () => {
  it("config-get returns the map, --all when asked", async () => {
    tools.answer("config-get", JSON.stringify({ "dns-domain": "lab", "auto-accept": false }));
    expect(await hookenv.configGet()).toEqual({ "dns-domain": "lab", "auto-accept": false });
    await hookenv.configGet({ all: true });
    expect(argvs()).toEqual([["config-get", "--format=json"], ["config-get", "--format=json", "--all"]]);
  });

  it("config-get of one key returns the value, null when unset", async () => {
    tools.answer("config-get", "");
    expect(await hookenv.configGetKey("region")).toBeNull();
    expect(argvs()).toEqual([["config-get", "--format=json", "region"]]);
  });
});

describe("relations", () => {
  it("relation-ids and relation-list", async () => {
    tools.answer("relation-ids", "[\"db:3\",\"db:4\"]");
    tools.answer("relation-list", "[\"pg/0\",\"pg/1\"]");
    expect(await hookenv.relationIds("db")).toEqual(["db:3", "db:4"]);
    expect(await hookenv.relationList({ relationId: "db:3" })).toEqual(["pg/0", "pg/1"]);
    expect(await hookenv.relationList()).toEqual(["pg/0", "pg/1"]);
    expect(argvs()).toEqual([
      ["relation-ids", "--format=json", "db"],
      ["relation-list", "--format=json", "-r", "db:3"],
      ["relation-list", "--format=json"],
    ]);
  });

  it("relation-list --app gives the remote application", async () => {
    tools.answer("relation-list", "\"postgresql\"");
    expect(await hookenv.relationRemoteApp({ relationId: "db:3" })).toBe("postgresql");
    expect(argvs()).toEqual([["relation-list", "--format=json", "--app", "-r", "db:3"]]);
  });

  it("relation-get puts - before the owner, --app for app data", async () => {
    tools.answer("relation-get", "{\"endpoints\":\"h:5432\"}");
    expect(await hookenv.relationGet("pg/0", { relationId: "db:3" })).toEqual({ endpoints: "h:5432" });
    await hookenv.relationGet("postgresql", { relationId: "db:3", app: true });
    expect(argvs()).toEqual([
      ["relation-get", "--format=json", "-r", "db:3", "-", "pg/0"],
      ["relation-get", "--format=json", "-r", "db:3", "--app", "-", "postgresql"],
    ]);
  });

  it("relation-set sends the data as JSON on stdin", async () => {
    tools.answer("relation-set", "");
    await hookenv.relationSet({ url: "http://10.0.0.1:8773/", "a=b": "c d" }, { relationId: "ec2-api:1", app: true });
    expect(tools.calls()).toEqual([{
      argv: ["relation-set", "-r", "ec2-api:1", "--app", "--file", "-"],
      stdin: JSON.stringify({ url: "http://10.0.0.1:8773/", "a=b": "c d" }),
    }]);
  });

  it("relation-set as a non-leader fails with NOT_LEADER", async () => {
    tools.answer("relation-set", "", { stderr: "ERROR cannot write relation settings\n", exitCode: 1 });
    await expect(hookenv.relationSet({ a: "b" }, { app: true })).rejects.toSatisfy((e) => isOrchestraError(e, "NOT_LEADER"));
  });

  it("relation-model-get", async () => {
    tools.answer("relation-model-get", "{\"uuid\":\"u-1\"}");
    expect(await hookenv.relationModelGet({ relationId: "db:1" })).toEqual({ uuid: "u-1" });
    expect(argvs()).toEqual([["relation-model-get", "--format=json", "-r", "db:1"]]);
  });
});

describe("network and ports", () => {
  it("network-get and the ingress address", async () => {
    const info = { "bind-addresses": [{ addresses: [{ value: "10.1.1.1", cidr: "10.1.1.0/24" }] }], "egress-subnets": ["10.1.1.1/32"], "ingress-addresses": ["10.1.1.9"] };
    tools.answer("network-get", JSON.stringify(info));
    expect(await hookenv.networkGet("ec2-api", { relationId: "ec2-api:1" })).toEqual(info);
    expect(await hookenv.ingressAddress("ec2-api")).toBe("10.1.1.9");
    expect(argvs()).toEqual([
      ["network-get", "--format=json", "-r", "ec2-api:1", "ec2-api"],
      ["network-get", "--format=json", "ec2-api"],
    ]);
  });

  it("open-port, close-port, opened-ports", async () => {
    tools.answer("open-port", "");
    tools.answer("close-port", "");
    tools.answer("opened-ports", "[\"8773/tcp\"]");
    await hookenv.openPort("8773/tcp");
    await hookenv.openPort("67-69/udp");
    await hookenv.closePort("icmp");
    expect(await hookenv.openedPorts()).toEqual(["8773/tcp"]);
    expect(argvs()).toEqual([["open-port", "8773/tcp"], ["open-port", "67-69/udp"], ["close-port", "icmp"], ["opened-ports", "--format=json"]]);
  });

  it.each(["80", "80/sctp", "0/tcp", "70000/tcp", "90-80/tcp", "tcp"])("refuses the port %j before calling Juju", async (spec) => {
    tools.answer("open-port", "");
    await expect(hookenv.openPort(spec)).rejects.toSatisfy((e) => isOrchestraError(e, "INVALID_ARGUMENT"));
    expect(tools.calls()).toEqual([]);
  });
});

describe("log, status, leadership", () => {
  it("juju-log passes the level and guards the message with --", async () => {
    tools.answer("juju-log", "");
    await hookenv.jujuLog("-rf looks like a flag", "WARNING");
    expect(argvs()).toEqual([["juju-log", "--log-level", "WARNING", "--", "-rf looks like a flag"]]);
  });

  it("status-set and status-get", async () => {
    tools.answer("status-set", "");
    tools.answer("status-get", JSON.stringify({ status: "blocked", message: "set x", "status-data": {} }));
    await hookenv.statusSet("blocked", "set x");
    await hookenv.statusSet("active", "", { application: true });
    expect(await hookenv.statusGet()).toEqual({ status: "blocked", message: "set x" });
    expect(argvs()).toEqual([
      ["status-set", "--application=false", "blocked", "--", "set x"],
      ["status-set", "--application=true", "active", "--", ""],
      ["status-get", "--include-data", "--format=json", "--application=false"],
    ]);
  });

  it("status-get --application reads the nested application status", async () => {
    tools.answer("status-get", JSON.stringify({ "application-status": { status: "active", message: "ok", units: {} } }));
    expect(await hookenv.statusGet({ application: true })).toEqual({ status: "active", message: "ok" });
  });

  it("application-version-set", async () => {
    tools.answer("application-version-set", "");
    await hookenv.applicationVersionSet("0.1.0");
    expect(argvs()).toEqual([["application-version-set", "--", "0.1.0"]]);
  });

  it("is-leader, leader-get, leader-set", async () => {
    tools.answer("is-leader", "true");
    tools.answer("leader-get", "{\"k\":\"v\"}");
    tools.answer("leader-set", "");
    expect(await hookenv.isLeader()).toBe(true);
    expect(await hookenv.leaderGet()).toEqual({ k: "v" });
    await hookenv.leaderSet({ k: "w", gone: "" });
    await hookenv.leaderSet({});
    expect(argvs()).toEqual([["is-leader", "--format=json"], ["leader-get", "--format=json", "-"], ["leader-set", "k=w", "gone="]]);
  });

  it("is-leader false", async () => {
    tools.answer("is-leader", "false");
    expect(await hookenv.isLeader()).toBe(false);
  });
});

describe("actions", () => {
  it("action-get, action-set with nesting, action-log, action-fail", async () => {
    for (const t of ["action-set", "action-log", "action-fail"]) tools.answer(t, "");
    tools.answer("action-get", "{\"account\":\"juju\"}");
    expect(await hookenv.actionGet()).toEqual({ account: "juju" });
    await hookenv.actionSet({ "access-key": "AKIA1", machines: { count: 2, ids: ["m-1", "m-2"] } });
    await hookenv.actionLog("importing");
    await hookenv.actionFail("no such image");
    expect(argvs()).toEqual([
      ["action-get", "--format=json"],
      ["action-set", "access-key=AKIA1", "machines.count=2", "machines.ids=[\"m-1\",\"m-2\"]"],
      ["action-log", "--", "importing"],
      ["action-fail", "--", "no such image"],
    ]);
  });
});

describe("unit state", () => {
  it("state-get, state-set through stdin, state-delete", async () => {
    tools.answer("state-get", "{\"a\":\"1\"}");
    tools.answer("state-set", "");
    tools.answer("state-delete", "");
    expect(await hookenv.stateGet()).toEqual({ a: "1" });
    await hookenv.stateGetKey("a");
    await hookenv.stateSet({ b: "2" });
    await hookenv.stateDelete("a");
    expect(tools.calls()).toEqual([
      { argv: ["state-get", "--format=json"], stdin: "" },
      { argv: ["state-get", "--format=json", "a"], stdin: "" },
      { argv: ["state-set", "--file", "-"], stdin: "{\"b\":\"2\"}" },
      { argv: ["state-delete", "a"], stdin: "" },
    ]);
  });
});

describe("secrets", () => {
  it("secret-add returns the URI; the others build their argv", async () => {
    tools.answer("secret-add", "secret:cv1q2r3s4t5u6v7w8x9y\n");
    for (const t of ["secret-set", "secret-grant", "secret-remove"]) tools.answer(t, "");
    tools.answer("secret-get", "{\"access-key-id\":\"AK\"}");
    tools.answer("secret-ids", "[\"secret:cv1q2r3s4t5u6v7w8x9y\"]");
    const id = await hookenv.secretAdd({ "access-key-id": "AK", "secret-key": "S" }, { label: "ec2-cred", owner: "application" });
    expect(id).toBe("secret:cv1q2r3s4t5u6v7w8x9y");
    expect(await hookenv.secretGet({ label: "ec2-cred" }, { refresh: true })).toEqual({ "access-key-id": "AK" });
    await hookenv.secretGet({ id });
    await hookenv.secretSet(id, { "access-key-id": "AK2" });
    await hookenv.secretGrant(id, "ec2-api:4", { unit: "juju/0" });
    await hookenv.secretRemove(id, { revision: 2 });
    expect(await hookenv.secretIds()).toEqual([id]);
    const file = expect.stringMatching(/\/juju-secret-[^/]+\/content\.yaml$/);
    expect(argvs()).toEqual([
      // Content by file (removed once the tool is done), never on argv where ps shows it.
      ["secret-add", "--label", "ec2-cred", "--owner", "application", "--file", file],
      ["secret-get", "--format=json", "--label", "ec2-cred", "--refresh"],
      ["secret-get", "--format=json", id],
      ["secret-set", "--file", file, id],
      ["secret-grant", "--relation", "ec2-api:4", "--unit", "juju/0", id],
      ["secret-remove", "--revision", "2", id],
      ["secret-ids", "--format=json"],
    ]);
  });

  it.each<Record<string, string>>([{}, { AB: "x" }, { ab: "x" }, { "a b c": "x" }])("refuses secret content %j before calling Juju", async (content) => {
    tools.answer("secret-add", "secret:x");
    await expect(hookenv.secretAdd(content)).rejects.toSatisfy((e) => isOrchestraError(e, "INVALID_ARGUMENT"));
    expect(tools.calls()).toEqual([]);
  });
});
