/**
 * @module testing/context
 * The state-in/state-out test runner for TypeScript charms, after ops' `Context.run(event,
 * State) -> State`. A run starts the charm as a real subprocess (its `dispatch`, or any
 * argv) with the hook environment Juju would set and fake hook tools first on PATH, so the
 * charm runs the same code paths as on a unit; then it reads back the new State. The fake
 * tools are bash scripts (bash must be installed) talking to a loopback server of this process.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { OrchestraError } from "../errors.ts";
import { loadCharmSpec, type CharmSpec } from "./charm-spec.ts";
import { checkConsistency } from "./consistency.ts";
import { on, type CharmEvent } from "./events.ts";
import type { Relation, State } from "./state.ts";
import { installToolScripts, startToolServer } from "./tool-server.ts";
import { FAKE_TOOL_NAMES, type ConfigValue, type LogLine, type NetworkValue, type StatusValue, type World } from "./world.ts";

/** How to start the charm under test. */
export interface ContextOptions {
  /** The charm's root: metadata.yaml, config.yaml, actions.yaml live here; the cwd of the run. */
  charmDir: string;
  /** The argv that runs the charm; `<charmDir>/dispatch` by default. */
  command?: readonly string[];
  /** The unit's number; the unit is `<app>/<unitId>`. */
  unitId?: number;
  /** The application name; metadata.yaml's name by default. */
  appName?: string;
  modelName?: string;
  modelUuid?: string;
  /** Extra environment for the charm process (for example a root for its files). */
  env?: Record<string, string>;
  /** Directories put on PATH after the fake hook tools (fake system commands, say). */
  extraPath?: readonly string[];
  /** Kill the charm after this long; 60 s by default. */
  timeoutMs?: number;
  /**
   * Which Juju the unit agent plays (JUJU_VERSION, and its semantics): "3.6.0" by default.
   * Before 3.6, relation-ids still lists the relation being broken during its
   * relation-broken hook, and writing to it fails the hook; from 3.6 it is gone.
   */
  jujuVersion?: string;
}

/** Whether a Juju version still lists the relation being broken (3.1 to 3.5 do). */
export function listsBrokenRelation(jujuVersion: string): boolean {
  const [major = 0, minor = 0] = jujuVersion.split(".").map(Number);
  return major < 3 || (major === 3 && minor < 6);
}

/** What a run returns: the new State and everything the charm said on the way. */
export interface Output {
  state: State;
  exitCode: number;
  stdout: string;
  stderr: string;
  logs: LogLine[];
  /** Every unit status the charm set, in order (the last one is state.unitStatus). */
  unitStatusHistory: StatusValue[];
  appStatusHistory: StatusValue[];
  workloadVersionHistory: string[];
  /** action-set results, nested by their dotted keys. */
  actionResults: Record<string, unknown>;
  actionLogs: string[];
  /** The action-fail message, when the action failed. */
  actionFailure: string | undefined;
  /** Every hook-tool argv the charm ran, in order. */
  toolCalls: string[][];
}

function unitName(app: string, unit: number | string): string {
  return typeof unit === "number" ? `${app}/${unit}` : unit;
}

function defaultNetwork(index: number): NetworkValue {
  const address = "192.0.2.0";
  return {
    "bind-addresses": [{ "mac-address": "", "interface-name": `eth${index}`, addresses: [{ hostname: "", value: address, cidr: "192.0.2.0/24" }] }],
    "egress-subnets": ["192.0.2.0/32"],
    "ingress-addresses": [address],
  };
}

function nest(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(flat)) {
    const parts = dotted.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (next !== null && typeof next === "object" ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return out;
}

/**
 * Runs events against a charm, State in and State out.
 * @example
 * const ctx = new Context({ charmDir: "." });
 * const out = await ctx.run(ctx.on.install(), state({ leader: true }));
 * expect(out.state.unitStatus).toEqual({ status: "active", message: "" });
 */
export class Context {
  readonly spec: CharmSpec;
  readonly on = on;
  readonly #options: ContextOptions;
  readonly #appName: string;

  constructor(options: ContextOptions) {
    this.#options = options;
    this.spec = loadCharmSpec(options.charmDir);
    this.#appName = options.appName ?? this.spec.name;
  }

  /** The Juju version the fake unit agent follows. */
  get jujuVersion(): string {
    return this.#options.jujuVersion ?? "3.6.0";
  }

  /** The unit this Context plays. */
  get unitName(): string {
    return `${this.#appName}/${this.#options.unitId ?? 0}`;
  }

  /**
   * Runs one event and returns the new State.
   * @throws OrchestraError INCONSISTENT_STATE when the State contradicts the charm's metadata,
   * CHARM_HOOK_FAILED (details.output holds the Output) when the charm exits non-zero.
   */
  async run(event: CharmEvent, input: State): Promise<Output> {
    const output = await this.runUnchecked(event, input);
    if (output.exitCode !== 0) {
      throw new OrchestraError("CHARM_HOOK_FAILED", `${event.kind === "action" ? "action" : "hook"} ${event.name} exited ${output.exitCode}:\n${output.stderr.slice(-2000)}`, { output });
    }
    return output;
  }

  /** Runs one event and returns the Output even when the charm exits non-zero. */
  async runUnchecked(event: CharmEvent, input: State): Promise<Output> {
    checkConsistency(this.spec, event, input);
    const dir = mkdtempSync(join(tmpdir(), "charm-context-"));
    const world = this.#buildWorld(event, input);
    const server = await startToolServer(world);
    try {
      const bin = join(dir, "bin");
      mkdirSync(bin);
      installToolScripts(bin, FAKE_TOOL_NAMES, server.port);
      const result = await execa(this.#options.command?.[0] ?? join(this.#options.charmDir, "dispatch"), this.#options.command?.slice(1) ?? [], {
        cwd: this.#options.charmDir,
        env: this.#environment(event, world, bin),
        extendEnv: false,
        reject: false,
        timeout: this.#options.timeoutMs ?? 60_000,
        input: "",
      });
      const after = world;
      const exitCode = result.exitCode ?? (result.timedOut ? 124 : 1);
      const stderr = String(result.stderr ?? "") + (result.failed && result.exitCode === undefined ? `\n${result.message}` : "");
      return {
        state: exitCode === 0 ? this.#committed(input, after) : this.#discarded(input, after),
        exitCode,
        stdout: String(result.stdout ?? ""),
        stderr,
        logs: after.logs,
        unitStatusHistory: after.unitStatusHistory,
        appStatusHistory: after.appStatusHistory,
        workloadVersionHistory: after.workloadVersionHistory,
        actionResults: nest(after.actionResults),
        actionLogs: after.actionLogs,
        actionFailure: after.actionFailure,
        toolCalls: after.toolCalls,
      };
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  #buildWorld(event: CharmEvent, input: State): World {
    const config: Record<string, ConfigValue> = {};
    for (const [key, option] of Object.entries(this.spec.config)) {
      if (option.default !== undefined && option.default !== null) config[key] = option.default;
    }
    Object.assign(config, structuredClone(input.config));
    const networks: Record<string, NetworkValue> = {};
    [...Object.keys(this.spec.endpoints), ...this.spec.extraBindings, "juju-info"].forEach((b, i) => { networks[b] = defaultNetwork(i); });
    Object.assign(networks, structuredClone(input.networks));

    const hook: World["hook"] = {};
    if (event.kind === "action") {
      hook.actionName = event.name;
      const params: Record<string, unknown> = {};
      for (const [p, schema] of Object.entries(this.spec.actions[event.name]?.params ?? {})) {
        if (schema.default !== undefined) params[p] = schema.default;
      }
      hook.actionParams = { ...params, ...event.params };
    } else if (event.relation) {
      const rel = input.relations.find((r) => r.id === event.relation!.id)!;
      const remoteApp = rel.kind === "peer" ? this.#appName : rel.remoteApp;
      hook.relationId = rel.id;
      hook.remoteApp = remoteApp;
      const units = Object.keys(rel.remoteUnitsData).map(Number).sort((a, b) => a - b);
      const suffix = event.name.slice(`${rel.endpoint}-relation-`.length);
      if (suffix === "joined" || suffix === "changed" || suffix === "departed") {
        const remote = event.remoteUnit ?? event.departingUnit ?? units[0];
        if (remote !== undefined) hook.remoteUnit = unitName(remoteApp, remote);
      }
      if (suffix === "departed") {
        const departing = event.departingUnit ?? event.remoteUnit ?? units[0];
        if (departing !== undefined) hook.departingUnit = unitName(remoteApp, departing);
      }
      if (suffix === "broken") {
        hook.brokenRelationId = rel.id;
        hook.brokenRelationListed = listsBrokenRelation(this.jujuVersion);
      }
    }

    const unit = this.unitName;
    return {
      unitName: unit,
      appName: this.#appName,
      modelName: this.#options.modelName ?? "test-model",
      modelUuid: this.#options.modelUuid ?? "00000000-0000-4000-8000-000000000000",
      leader: input.leader,
      config,
      configOptions: Object.keys(this.spec.config),
      relations: input.relations.map((r) => {
        const remoteApp = r.kind === "peer" ? this.#appName : r.remoteApp;
        return {
          id: r.id,
          endpoint: r.endpoint,
          interface: r.interface ?? this.spec.endpoints[r.endpoint]!.interface,
          kind: r.kind,
          remoteApp,
          localAppData: structuredClone(r.localAppData),
          localUnitData: structuredClone(r.localUnitData),
          remoteAppData: structuredClone(r.remoteAppData),
          remoteUnitsData: Object.fromEntries(Object.entries(r.remoteUnitsData).map(([n, bag]) => [unitName(remoteApp, Number(n)), structuredClone(bag)])),
        };
      }),
      networks,
      openedPorts: [...input.openedPorts],
      secrets: structuredClone(input.secrets),
      stored: structuredClone(input.stored),
      leaderData: structuredClone(input.leaderData),
      unitStatus: structuredClone(input.unitStatus),
      appStatus: structuredClone(input.appStatus),
      workloadVersion: input.workloadVersion,
      hook,
      logs: [],
      unitStatusHistory: [],
      appStatusHistory: [],
      workloadVersionHistory: [],
      actionResults: {},
      actionLogs: [],
      toolCalls: [],
    };
  }

  #environment(event: CharmEvent, world: World, bin: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith("JUJU_")) env[k] = v;
    }
    const charmDir = this.#options.charmDir;
    Object.assign(env, {
      PATH: [bin, ...(this.#options.extraPath ?? []), process.env.PATH ?? "/usr/bin:/bin"].join(":"),
      JUJU_DISPATCH_PATH: `${event.kind === "action" ? "actions" : "hooks"}/${event.name}`,
      JUJU_UNIT_NAME: world.unitName,
      JUJU_MODEL_NAME: world.modelName,
      JUJU_MODEL_UUID: world.modelUuid,
      JUJU_CHARM_DIR: charmDir,
      CHARM_DIR: charmDir,
      JUJU_CONTEXT_ID: `${world.unitName}-${event.name}-1`,
      JUJU_VERSION: this.jujuVersion,
      JUJU_MACHINE_ID: "0",
      JUJU_AVAILABILITY_ZONE: "",
      JUJU_CHARM_HTTP_PROXY: "",
      JUJU_CHARM_HTTPS_PROXY: "",
      JUJU_CHARM_FTP_PROXY: "",
      JUJU_CHARM_NO_PROXY: "",
    });
    if (event.kind === "action") {
      Object.assign(env, { JUJU_ACTION_NAME: event.name, JUJU_ACTION_UUID: "1", JUJU_ACTION_TAG: "action-1" });
    } else {
      env.JUJU_HOOK_NAME = event.name;
      const rel = world.relations.find((r) => r.id === world.hook.relationId);
      if (rel) {
        env.JUJU_RELATION = rel.endpoint;
        env.JUJU_RELATION_ID = `${rel.endpoint}:${rel.id}`;
        env.JUJU_REMOTE_APP = rel.remoteApp;
      }
      if (world.hook.remoteUnit !== undefined) env.JUJU_REMOTE_UNIT = world.hook.remoteUnit;
      if (world.hook.departingUnit !== undefined) env.JUJU_DEPARTING_UNIT = world.hook.departingUnit;
      if (event.secret) {
        env.JUJU_SECRET_ID = event.secret.id;
        if (event.secret.label !== undefined) env.JUJU_SECRET_LABEL = event.secret.label;
        env.JUJU_SECRET_REVISION = String(event.secret.revision);
      }
    }
    Object.assign(env, this.#options.env ?? {});
    return env;
  }

  /** The hook succeeded: Juju commits everything the tools buffered. */
  #committed(input: State, world: World): State {
    return {
      leader: input.leader,
      config: structuredClone(input.config),
      relations: input.relations.map((r): Relation => {
        const w = world.relations.find((x) => x.id === r.id)!;
        return { ...structuredClone(r), localAppData: w.localAppData, localUnitData: w.localUnitData };
      }),
      networks: structuredClone(input.networks),
      openedPorts: world.openedPorts,
      secrets: world.secrets,
      stored: world.stored,
      leaderData: world.leaderData,
      unitStatus: world.unitStatus,
      appStatus: world.appStatus,
      workloadVersion: world.workloadVersion,
    };
  }

  /**
   * The hook failed: relation data, ports, unit state and secrets are dropped as Juju
   * drops them; status, leader settings and the workload version were immediate, so stay.
   */
  #discarded(input: State, world: World): State {
    return {
      ...structuredClone(input),
      leaderData: world.leaderData,
      unitStatus: world.unitStatus,
      appStatus: world.appStatus,
      workloadVersion: world.workloadVersion,
    };
  }
}
