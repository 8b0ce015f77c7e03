/**
 * @module testing/state
 * The State a charm test passes in and gets back, and the helpers that build its parts.
 * Plain data: a run never changes the State it was given.
 */
import type { ConfigValue, Databag, NetworkValue, StatusValue, WorldSecret } from "./world.ts";

export type { ConfigValue, Databag, NetworkValue, StatusValue };

/** A relation in the State. Build one with relation() or peerRelation(). */
export interface Relation {
  id: number;
  endpoint: string;
  /** Checked against metadata.yaml when given; filled from it when not. */
  interface?: string;
  kind: "regular" | "peer";
  /** The remote application; for a peer relation, this application. */
  remoteApp: string;
  localAppData: Databag;
  localUnitData: Databag;
  remoteAppData: Databag;
  /** Remote units' data by unit number: {0: {...}} is `<remoteApp>/0`. */
  remoteUnitsData: Record<number, Databag>;
}

/** A Juju secret this unit can see: the same record the fake hook tools serve. */
export type Secret = WorldSecret;

/** Everything Juju knows about the unit that a hook can observe or change. */
export interface State {
  leader: boolean;
  /** Config values set by the operator; config.yaml defaults fill the rest. */
  config: Record<string, ConfigValue>;
  relations: Relation[];
  /** Network info by binding; bindings not listed get a default 192.0.2.0 address. */
  networks: Record<string, NetworkValue>;
  openedPorts: string[];
  secrets: Secret[];
  /** Per-unit state (state-get/state-set). */
  stored: Record<string, string>;
  leaderData: Record<string, string>;
  unitStatus: StatusValue;
  appStatus: StatusValue;
  workloadVersion: string;
}

/** The data Juju puts in every unit's databag on its own. */
export const DEFAULT_UNIT_DATA: Readonly<Databag> = Object.freeze({
  "egress-subnets": "192.0.2.0/32",
  "ingress-address": "192.0.2.0",
  "private-address": "192.0.2.0",
});

/** A State with nothing in it, and whatever `fields` sets. */
export function state(fields: Partial<State> = {}): State {
  return {
    leader: false,
    config: {},
    relations: [],
    networks: {},
    openedPorts: [],
    secrets: [],
    stored: {},
    leaderData: {},
    unitStatus: { status: "unknown", message: "" },
    appStatus: { status: "unknown", message: "" },
    workloadVersion: "",
    ...structuredClone(fields),
  };
}

let nextRelationId = 1;

/** A relation to another application; one remote unit (`/0`) by default. */
export function relation(fields: Partial<Omit<Relation, "kind">> & { endpoint: string }): Relation {
  return {
    id: fields.id ?? nextRelationId++,
    kind: "regular",
    remoteApp: "remote",
    localAppData: {},
    localUnitData: { ...DEFAULT_UNIT_DATA },
    remoteAppData: {},
    remoteUnitsData: { 0: { ...DEFAULT_UNIT_DATA } },
    ...structuredClone(fields),
  };
}

/** A peer relation; `peersData` holds the other units of this application by number. */
export function peerRelation(fields: { endpoint: string; id?: number; interface?: string; localAppData?: Databag; localUnitData?: Databag; peersData?: Record<number, Databag> }): Relation {
  const { peersData, ...rest } = fields;
  return {
    id: rest.id ?? nextRelationId++,
    kind: "peer",
    // Filled with this application's name when the Context runs.
    remoteApp: "",
    localAppData: {},
    localUnitData: { ...DEFAULT_UNIT_DATA },
    remoteAppData: {},
    remoteUnitsData: structuredClone(peersData ?? {}),
    ...structuredClone(rest),
  };
}

/**
 * A secret owned by this application (or, with owner "remote", granted to it: over any
 * relation unless `grants` says which; `grants: {}` is a remote secret never granted).
 */
export function secret(fields: Partial<Secret> & { contents: Record<string, string> }): Secret {
  return {
    id: fields.id ?? `secret:t${String(nextRelationId++).padStart(19, "0")}`,
    owner: "application",
    revision: 1,
    grants: fields.owner === "remote" ? { "*": ["*"] } : {},
    ...structuredClone(fields),
  };
}

/** The relation with this id (or the same id as `rel`) in a State. */
export function getRelation(s: State, rel: number | Relation): Relation {
  const id = typeof rel === "number" ? rel : rel.id;
  const found = s.relations.find((r) => r.id === id);
  if (!found) throw new Error(`no relation ${id} in this State`);
  return found;
}

/** The secret with this id or label in a State, or undefined. */
export function findSecret(s: State, idOrLabel: string): Secret | undefined {
  return s.secrets.find((x) => x.id === idOrLabel || x.label === idOrLabel);
}
