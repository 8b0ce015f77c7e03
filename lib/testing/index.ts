/**
 * @module testing
 * State-in/state-out testing for TypeScript charms: a Context runs the charm as a real
 * process against fake hook tools on PATH and returns the new State.
 */
export { Context, type ContextOptions, type Output } from "./context.ts";
export type { HookTarget, TargetRunResult } from "./hook-target.ts";
export { on, type CharmEvent, type HookEvent, type ActionEvent } from "./events.ts";
export {
  state, relation, peerRelation, secret, getRelation, findSecret, DEFAULT_UNIT_DATA,
  type State, type Relation, type Secret, type ConfigValue, type Databag, type NetworkValue, type StatusValue,
} from "./state.ts";
export { loadCharmSpec, type CharmSpec, type EndpointSpec, type ConfigOptionSpec, type ActionSpec } from "./charm-spec.ts";
export { checkConsistency, findInconsistencies } from "./consistency.ts";
export { FAKE_TOOL_NAMES, type LogLine } from "./world.ts";
