import { describe, expect, it } from "vitest";
import { readHookEnvironment, parseRelationHook } from "../../lib/hookenv/index.ts";
import { isOrchestraError } from "../../lib/errors.ts";

describe("readHookEnvironment", () => {
  it("parses a relation hook", () => {
    const env = readHookEnvironment({
      JUJU_DISPATCH_PATH: "hooks/database-relation-changed",
      JUJU_UNIT_NAME: "orchestra/2",
      JUJU_CHARM_DIR: "/var/lib/juju/agents/unit-orchestra-2/charm",
      JUJU_MODEL_NAME: "lab",
      JUJU_RELATION: "database",
      JUJU_RELATION_ID: "database:7",
      JUJU_REMOTE_APP: "postgresql",
      JUJU_REMOTE_UNIT: "postgresql/0",
      JUJU_CHARM_HTTP_PROXY: "http://proxy:3128",
      JUJU_SECRET_REVISION: "",
    });
    expect(env).toMatchObject({
      kind: "hook", name: "database-relation-changed", unitName: "orchestra/2", appName: "orchestra",
      charmDir: "/var/lib/juju/agents/unit-orchestra-2/charm", modelName: "lab", relationName: "database",
      relationId: "database:7", remoteApp: "postgresql", remoteUnit: "postgresql/0", departingUnit: undefined,
      actionName: undefined, secretRevision: undefined, proxy: { http: "http://proxy:3128", https: "", noProxy: "" },
    });
  });

  it("parses an action", () => {
    const env = readHookEnvironment({ JUJU_DISPATCH_PATH: "actions/create-credentials", JUJU_UNIT_NAME: "o/0", JUJU_ACTION_UUID: "42" });
    expect(env).toMatchObject({ kind: "action", name: "create-credentials", actionName: "create-credentials", actionUuid: "42" });
  });

  it("falls back to JUJU_HOOK_NAME without a dispatch path", () => {
    expect(readHookEnvironment({ JUJU_HOOK_NAME: "install", JUJU_UNIT_NAME: "o/0" }).dispatchPath).toBe("hooks/install");
  });

  it.each([
    [{ JUJU_DISPATCH_PATH: "hooks/install" }, "MISSING_ARGUMENT"],
    [{ JUJU_DISPATCH_PATH: "hooks/install", JUJU_UNIT_NAME: "orchestra" }, "MISSING_ARGUMENT"],
    [{ JUJU_UNIT_NAME: "o/0" }, "MISSING_ARGUMENT"],
    [{ JUJU_DISPATCH_PATH: "bin/install", JUJU_UNIT_NAME: "o/0" }, "INVALID_ARGUMENT"],
    [{ JUJU_DISPATCH_PATH: "hooks/", JUJU_UNIT_NAME: "o/0" }, "INVALID_ARGUMENT"],
  ] as const)("refuses %j", (env, code) => {
    expect(() => readHookEnvironment(env)).toThrow(expect.toSatisfy((e: unknown) => isOrchestraError(e, code)));
  });
});

describe("parseRelationHook", () => {
  it("splits endpoint names that contain dashes", () => {
    expect(parseRelationHook("metrics-endpoint-relation-departed")).toEqual({ endpoint: "metrics-endpoint", event: "departed" });
    expect(parseRelationHook("config-changed")).toBeUndefined();
  });
});
