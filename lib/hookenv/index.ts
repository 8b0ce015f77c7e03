/**
 * @module hookenv
 * Typed Juju hook tools for TypeScript charms: one thin async function per tool over one
 * runTool(), and the hook environment parsed into one object.
 */
export { runTool, runToolJson, classifyToolError, type RunToolOptions } from "./run-tool.ts";
export { readHookEnvironment, parseRelationHook, type HookEnvironment, type DispatchKind } from "./hook-environment.ts";
export { configGet, configGetKey, type ConfigValue } from "./config.ts";
export {
  relationIds, relationList, relationRemoteApp, relationGet, relationSet, relationModelGet,
  type Databag, type RelationTarget,
} from "./relation.ts";
export { networkGet, ingressAddress, type NetworkInfo } from "./network.ts";
export { openPort, closePort, openedPorts, assertPortSpec } from "./ports.ts";
export { jujuLog, type LogLevel } from "./log.ts";
export { statusSet, statusGet, applicationVersionSet, type Status, type SettableStatus } from "./status.ts";
export { isLeader, leaderGet, leaderSet } from "./leadership.ts";
export { actionGet, actionSet, actionLog, actionFail, flattenResults, type ActionResult } from "./action.ts";
export { stateGet, stateGetKey, stateSet, stateDelete } from "./unit-state.ts";
export { secretAdd, secretGet, secretSet, secretGrant, secretRemove, secretIds, type SecretAddOptions } from "./secret.ts";
