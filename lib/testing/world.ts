/**
 * @module testing/world
 * The world of one Context run, held in memory by its tool server: the model as Juju would
 * see it, plus what the fake hook tools recorded.
 */

/** A relation databag. */
export type Databag = Record<string, string>;

/** A config value. */
export type ConfigValue = string | number | boolean;

/** A workload status. */
export interface StatusValue {
  status: "unknown" | "maintenance" | "blocked" | "waiting" | "active" | "error";
  message: string;
}

/** network-get's answer for one binding. */
export interface NetworkValue {
  "bind-addresses": Array<{ "mac-address"?: string; "interface-name"?: string; addresses: Array<{ hostname?: string; value: string; cidr?: string }> }>;
  "egress-subnets": string[];
  "ingress-addresses": string[];
}

/** One relation as the fake tools see it. */
export interface WorldRelation {
  id: number;
  endpoint: string;
  interface: string;
  kind: "regular" | "peer";
  remoteApp: string;
  localAppData: Databag;
  localUnitData: Databag;
  remoteAppData: Databag;
  /** Remote (or, for peers, the other peer) units' data by unit name. */
  remoteUnitsData: Record<string, Databag>;
}

/** One secret as the fake tools see it. */
export interface WorldSecret {
  id: string;
  label?: string;
  description?: string;
  /** Who owns it: this application, this unit, or someone else who granted it to us. */
  owner: "application" | "unit" | "remote";
  revision: number;
  contents: Record<string, string>;
  /**
   * Relation ids (numbers, as strings) to the units granted, or ["*"] for the whole app. A
   * remote secret opens only where a grant names a relation this unit is in ("*" for any).
   */
  grants: Record<string, string[]>;
}

/** A juju-log line. */
export interface LogLine {
  level: string;
  message: string;
}

/** The shared world of one run. */
export interface World {
  unitName: string;
  appName: string;
  modelName: string;
  modelUuid: string;
  leader: boolean;
  /** Set or defaulted config values. */
  config: Record<string, ConfigValue>;
  /** Every option name in config.yaml, for config-get --all. */
  configOptions: string[];
  relations: WorldRelation[];
  networks: Record<string, NetworkValue>;
  openedPorts: string[];
  secrets: WorldSecret[];
  stored: Record<string, string>;
  leaderData: Record<string, string>;
  unitStatus: StatusValue;
  appStatus: StatusValue;
  workloadVersion: string;
  hook: {
    relationId?: number;
    remoteUnit?: string;
    remoteApp?: string;
    departingUnit?: string;
    /** The relation a -broken hook is for: relation-ids no longer lists it. */
    brokenRelationId?: number;
    /** Juju before 3.6: relation-ids still lists the broken relation, and writes to it fail. */
    brokenRelationListed?: boolean;
    actionName?: string;
    actionParams?: Record<string, unknown>;
  };
  logs: LogLine[];
  unitStatusHistory: StatusValue[];
  appStatusHistory: StatusValue[];
  workloadVersionHistory: string[];
  actionResults: Record<string, string>;
  actionLogs: string[];
  actionFailure?: string;
  toolCalls: string[][];
}

/** The hook tools the fake implements; every one is put on PATH for a run. */
export const FAKE_TOOL_NAMES = [
  "config-get",
  "relation-ids", "relation-list", "relation-get", "relation-set", "relation-model-get",
  "network-get",
  "open-port", "close-port", "opened-ports",
  "juju-log",
  "status-set", "status-get", "application-version-set",
  "is-leader", "leader-get", "leader-set",
  "action-get", "action-set", "action-log", "action-fail",
  "state-get", "state-set", "state-delete",
  "secret-add", "secret-get", "secret-set", "secret-grant", "secret-revoke", "secret-remove", "secret-ids",
] as const;
