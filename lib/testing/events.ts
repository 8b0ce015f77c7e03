/**
 * @module testing/events
 * The events a Context can run: every Juju hook a machine charm gets, and actions.
 * Build them through `ctx.on` (modelled on ops' `ctx.on.<event>()`).
 */
import type { Relation, Secret } from "./state.ts";

/** A hook event. */
export interface HookEvent {
  kind: "hook";
  /** The Juju hook name, as in `hooks/<name>`. */
  name: string;
  relation?: Relation;
  /** The remote unit's number or full name (relation joined/changed/departed). */
  remoteUnit?: number | string;
  /** The departing unit's number or full name (relation departed). */
  departingUnit?: number | string;
  secret?: Secret;
}

/** An action event. */
export interface ActionEvent {
  kind: "action";
  name: string;
  params: Record<string, unknown>;
}

/** Anything a Context can run. */
export type CharmEvent = HookEvent | ActionEvent;

function hook(name: string): HookEvent {
  return { kind: "hook", name };
}

/** Event constructors; also reachable as `ctx.on`. */
export const on = {
  install: () => hook("install"),
  start: () => hook("start"),
  stop: () => hook("stop"),
  remove: () => hook("remove"),
  updateStatus: () => hook("update-status"),
  configChanged: () => hook("config-changed"),
  upgradeCharm: () => hook("upgrade-charm"),
  leaderElected: () => hook("leader-elected"),
  leaderSettingsChanged: () => hook("leader-settings-changed"),
  relationCreated: (relation: Relation): HookEvent => ({ kind: "hook", name: `${relation.endpoint}-relation-created`, relation }),
  relationJoined: (relation: Relation, options: { remoteUnit?: number | string } = {}): HookEvent => ({ kind: "hook", name: `${relation.endpoint}-relation-joined`, relation, ...options }),
  relationChanged: (relation: Relation, options: { remoteUnit?: number | string } = {}): HookEvent => ({ kind: "hook", name: `${relation.endpoint}-relation-changed`, relation, ...options }),
  relationDeparted: (relation: Relation, options: { remoteUnit?: number | string; departingUnit?: number | string } = {}): HookEvent => ({ kind: "hook", name: `${relation.endpoint}-relation-departed`, relation, ...options }),
  relationBroken: (relation: Relation): HookEvent => ({ kind: "hook", name: `${relation.endpoint}-relation-broken`, relation }),
  secretChanged: (secret: Secret): HookEvent => ({ kind: "hook", name: "secret-changed", secret }),
  secretRotate: (secret: Secret): HookEvent => ({ kind: "hook", name: "secret-rotate", secret }),
  secretRemove: (secret: Secret): HookEvent => ({ kind: "hook", name: "secret-remove", secret }),
  action: (name: string, params: Record<string, unknown> = {}): ActionEvent => ({ kind: "action", name, params: structuredClone(params) }),
} as const;
