/**
 * @module testing/fake-hook-tools
 * What a fake hook tool does: given the world, the tool's name, its argv and its stdin,
 * answer as Juju's tool would (same flags, same JSON, same `ERROR ...` lines and exit
 * codes) and change the world as the real tool would change the model.
 */
import { readFileSync } from "node:fs";
import type { Databag, World, WorldRelation, WorldSecret } from "./world.ts";

/** A tool refusing the call: Juju prints `ERROR <message>` and exits non-zero. */
class ToolError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const VALUE_FLAGS = new Set([
  "-r", "--relation", "-l", "--log-level", "--file", "--label", "--description", "--owner",
  "--unit", "--revision", "--format", "--endpoints", "--expire", "--rotate",
]);

interface Parsed {
  flags: Map<string, string>;
  args: string[];
}

/** Splits argv the way Juju's gnuflag does for the flags these tools take. */
function parseArgs(argv: string[]): Parsed {
  const flags = new Map<string, string>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      const eq = a.indexOf("=");
      if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
      else if (VALUE_FLAGS.has(a)) {
        const value = argv[++i];
        if (value === undefined) throw new ToolError(`flag needs an argument: ${a}`, 2);
        flags.set(a, value);
      } else flags.set(a, "true");
      continue;
    }
    args.push(a);
  }
  return { flags, args };
}

function flag(p: Parsed, ...names: string[]): string | undefined {
  for (const n of names) if (p.flags.has(n)) return p.flags.get(n);
  return undefined;
}

function boolFlag(p: Parsed, ...names: string[]): boolean {
  const v = flag(p, ...names);
  return v !== undefined && v !== "false";
}

/**
 * key=value arguments, or a JSON map from `--file -` / `--file path`. The tool scripts send a
 * `--file path`'s content as stdin too (the path may be on another machine, a harness unit);
 * called directly with no stdin, the path is read here.
 */
function keyValues(p: Parsed, stdin: string): Record<string, string> {
  const out: Record<string, string> = {};
  const file = flag(p, "--file");
  if (file !== undefined) {
    const text = file === "-" || stdin !== "" ? stdin : readFileSync(file, "utf8");
    let data: unknown;
    try {
      data = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      throw new ToolError("the fake hook tools read --file as JSON (a JSON map is also YAML); got something else");
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) throw new ToolError("expected a map of settings");
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  for (const a of p.args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new ToolError(`expected "key=value", got "${a}"`, 2);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function merge(bag: Databag, data: Record<string, string>): void {
  for (const [k, v] of Object.entries(data)) {
    if (v === "") delete bag[k];
    else bag[k] = v;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value ?? null)}\n`;
}

function findRelation(world: World, p: Parsed): WorldRelation {
  const given = flag(p, "-r", "--relation");
  if (given === undefined) {
    if (world.hook.relationId === undefined) throw new ToolError("no relation id specified", 2);
    const rel = world.relations.find((r) => r.id === world.hook.relationId);
    if (!rel) throw new ToolError(`invalid value "${world.hook.relationId}" for option -r: relation not found`, 2);
    return rel;
  }
  const m = /^(?:([a-z][a-z0-9-]*):)?([0-9]+)$/.exec(given);
  const rel = m ? world.relations.find((r) => r.id === Number(m[2]) && (m[1] === undefined || r.endpoint === m[1])) : undefined;
  if (!rel) throw new ToolError(`invalid value "${given}" for option -r: relation not found`, 2);
  return rel;
}

function relationIdString(rel: WorldRelation): string {
  return `${rel.endpoint}:${rel.id}`;
}

const PORT = /^(icmp|([0-9]{1,5})(-([0-9]{1,5}))?\/(tcp|udp))$/;

function portArg(p: Parsed): string {
  const spec = p.args[0];
  if (spec === undefined || !PORT.test(spec)) throw new ToolError(`invalid port "${spec ?? ""}"`, 2);
  return spec;
}

const SECRET_KEY = /^[a-z](?:-?[a-z0-9]){2,}$/;

function secretContent(p: Parsed, from: number, stdin: string): Record<string, string> {
  const content: Record<string, string> = {};
  // --file: a YAML map (the fake reads JSON, which is YAML), as the charm passes secrets.
  const file = flag(p, "--file");
  if (file !== undefined) {
    for (const [key, value] of Object.entries(keyValues({ flags: new Map([["--file", file]]), args: [] }, stdin))) {
      if (!SECRET_KEY.test(key)) throw new ToolError(`invalid secret key "${key}"`, 2);
      content[key] = value;
    }
  }
  for (const a of p.args.slice(from)) {
    const eq = a.indexOf("=");
    const key = a.slice(0, eq);
    if (eq <= 0 || !SECRET_KEY.test(key)) throw new ToolError(`invalid secret key "${eq <= 0 ? a : key}"`, 2);
    content[key] = a.slice(eq + 1);
  }
  if (Object.keys(content).length === 0) throw new ToolError("missing secret value", 2);
  return content;
}

function ownSecret(world: World, id: string | undefined): WorldSecret {
  const secret = world.secrets.find((s) => s.id === id || (id !== undefined && s.label === id));
  if (!secret) throw new ToolError(`secret "${id ?? ""}" not found`);
  if (secret.owner === "remote") throw new ToolError(`permission denied: secret "${secret.id}" is owned by another application`);
  if (secret.owner === "application" && !world.leader) throw new ToolError("permission denied: only the leader may manage application secrets");
  return secret;
}

function requireAction(world: World, tool: string): void {
  if (world.hook.actionName === undefined) throw new ToolError(`${tool} is not available outside an action`);
}

/** Runs one tool against the world; returns what it prints on stdout. */
function runTool(world: World, tool: string, argv: string[], stdin: string): string {
  const p = parseArgs(argv);
  switch (tool) {
    case "config-get": {
      const key = p.args[0];
      if (key !== undefined) return json(world.config[key] ?? null);
      if (boolFlag(p, "--all", "-a")) return json(Object.fromEntries(world.configOptions.map((k) => [k, world.config[k] ?? null])));
      return json(world.config);
    }
    case "relation-ids": {
      const endpoint = p.args[0];
      if (endpoint === undefined) throw new ToolError("no endpoint name specified", 2);
      const hidden = world.hook.brokenRelationListed ? undefined : world.hook.brokenRelationId;
      return json(world.relations.filter((r) => r.endpoint === endpoint && r.id !== hidden).map(relationIdString));
    }
    case "relation-list": {
      const rel = findRelation(world, p);
      if (boolFlag(p, "--app")) return json(rel.remoteApp);
      const departing = rel.id === world.hook.relationId ? world.hook.departingUnit : undefined;
      return json(Object.keys(rel.remoteUnitsData).filter((u) => u !== departing).sort());
    }
    case "relation-get": {
      const rel = findRelation(world, p);
      const app = boolFlag(p, "--app");
      const key = p.args[0] ?? "-";
      const owner = p.args[1] ?? (app ? world.hook.remoteApp : world.hook.remoteUnit);
      if (owner === undefined) throw new ToolError("no unit or application specified", 2);
      let bag: Databag | undefined;
      if (app) {
        if (owner === world.appName) {
          // Juju hides the local application bag of a regular relation from non-leaders.
          if (!world.leader && rel.kind === "regular") throw new ToolError("permission denied");
          bag = rel.localAppData;
        } else if (owner === rel.remoteApp) bag = rel.remoteAppData;
      } else if (owner === world.unitName) bag = rel.localUnitData;
      else bag = rel.remoteUnitsData[owner];
      if (bag === undefined) throw new ToolError(`cannot read settings for "${owner}" in relation "${relationIdString(rel)}": settings not found`);
      return json(key === "-" ? bag : bag[key] ?? null);
    }
    case "relation-set": {
      const rel = findRelation(world, p);
      // Juju 3.1-3.5: the relation is listed but dying, and the write fails the hook.
      if (rel.id === world.hook.brokenRelationId) throw new ToolError(`cannot write settings of relation "${relationIdString(rel)}": the relation is being broken`);
      const data = keyValues(p, stdin);
      if (boolFlag(p, "--app")) {
        if (!world.leader) throw new ToolError("cannot write relation settings");
        merge(rel.localAppData, data);
      } else merge(rel.localUnitData, data);
      return "";
    }
    case "relation-model-get": {
      findRelation(world, p);
      return json({ uuid: world.modelUuid });
    }
    case "network-get": {
      if (flag(p, "-r", "--relation") !== undefined) findRelation(world, p);
      const binding = p.args[0];
      const info = binding === undefined ? undefined : world.networks[binding];
      if (!info) throw new ToolError(`no network config found for binding "${binding ?? ""}"`);
      return json(info);
    }
    case "open-port": {
      const spec = portArg(p);
      if (!world.openedPorts.includes(spec)) world.openedPorts.push(spec);
      return "";
    }
    case "close-port": {
      const spec = portArg(p);
      world.openedPorts = world.openedPorts.filter((s) => s !== spec);
      return "";
    }
    case "opened-ports":
      return json(world.openedPorts);
    case "juju-log": {
      const level = boolFlag(p, "--debug") ? "DEBUG" : flag(p, "-l", "--log-level") ?? "INFO";
      world.logs.push({ level, message: p.args.join(" ") });
      return "";
    }
    case "status-set": {
      const status = p.args[0];
      if (status !== "maintenance" && status !== "blocked" && status !== "waiting" && status !== "active") {
        throw new ToolError(`invalid status "${status ?? ""}", expected one of [maintenance blocked waiting active]`, 2);
      }
      const value = { status, message: p.args.slice(1).join(" ") } as const;
      if (boolFlag(p, "--application")) {
        if (!world.leader) throw new ToolError("setting application status: this unit is not the leader");
        world.appStatus = value;
        world.appStatusHistory.push(value);
      } else {
        world.unitStatus = value;
        world.unitStatusHistory.push(value);
      }
      return "";
    }
    case "status-get": {
      if (boolFlag(p, "--application")) {
        if (!world.leader) throw new ToolError("finding application status: this unit is not the leader");
        return json({ "application-status": { ...world.appStatus, "status-data": {}, units: { [world.unitName]: { ...world.unitStatus, "status-data": {} } } } });
      }
      return json({ ...world.unitStatus, "status-data": {} });
    }
    case "application-version-set": {
      world.workloadVersion = p.args.join(" ");
      world.workloadVersionHistory.push(world.workloadVersion);
      return "";
    }
    case "is-leader":
      return json(world.leader);
    case "leader-get": {
      const key = p.args[0] ?? "-";
      return json(key === "-" ? world.leaderData : world.leaderData[key] ?? null);
    }
    case "leader-set": {
      if (!world.leader) throw new ToolError("cannot write leadership settings: not the leader");
      merge(world.leaderData, keyValues(p, stdin));
      return "";
    }
    case "action-get": {
      requireAction(world, tool);
      const key = p.args[0];
      if (key === undefined) return json(world.hook.actionParams ?? {});
      let value: unknown = world.hook.actionParams;
      for (const part of key.split(".")) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
      return json(value ?? null);
    }
    case "action-set": {
      requireAction(world, tool);
      for (const [k, v] of Object.entries(keyValues(p, stdin))) {
        if (!/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/.test(k)) throw new ToolError(`key "${k}" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`);
        world.actionResults[k] = v;
      }
      return "";
    }
    case "action-log":
      requireAction(world, tool);
      world.actionLogs.push(p.args.join(" "));
      return "";
    case "action-fail":
      requireAction(world, tool);
      world.actionFailure = p.args.join(" ") || "action failed without reason given, check action for errors";
      return "";
    case "state-get": {
      const key = p.args[0];
      return json(key === undefined ? world.stored : world.stored[key] ?? null);
    }
    case "state-set":
      Object.assign(world.stored, keyValues(p, stdin));
      return "";
    case "state-delete": {
      const key = p.args[0];
      if (key === undefined) throw new ToolError("no key specified", 2);
      delete world.stored[key];
      return "";
    }
    case "secret-add": {
      const owner = flag(p, "--owner") === "unit" ? "unit" : "application";
      if (owner === "application" && !world.leader) throw new ToolError("permission denied: only the leader may add application secrets");
      const label = flag(p, "--label");
      if (label !== undefined && world.secrets.some((s) => s.label === label)) throw new ToolError(`secret with label "${label}" already exists`);
      const id = `secret:${nextSecretId(world)}`;
      const secret: WorldSecret = { id, owner, revision: 1, contents: secretContent(p, 0, stdin), grants: {} };
      if (label !== undefined) secret.label = label;
      const description = flag(p, "--description");
      if (description !== undefined) secret.description = description;
      world.secrets.push(secret);
      return `${id}\n`;
    }
    case "secret-get": {
      const ref = p.args[0] ?? flag(p, "--label");
      const secret = world.secrets.find((s) => s.id === ref || s.label === ref);
      if (!secret) throw new ToolError(`secret "${ref ?? ""}" not found`);
      // Another application's secret opens only where it was granted to this unit or its application.
      if (secret.owner === "remote" && !grantedToUnit(world, secret)) throw new ToolError(`permission denied: secret "${secret.id}" was not granted to ${world.unitName}`);
      return json(secret.contents);
    }
    case "secret-set": {
      const secret = ownSecret(world, p.args[0]);
      if (p.args.length > 1 || flag(p, "--file") !== undefined) {
        secret.contents = secretContent(p, 1, stdin);
        secret.revision += 1;
      }
      const label = flag(p, "--label");
      if (label !== undefined) secret.label = label;
      return "";
    }
    case "secret-grant":
    case "secret-revoke": {
      const secret = ownSecret(world, p.args[0]);
      const rel = findRelation(world, p);
      const unit = flag(p, "--unit");
      const key = String(rel.id);
      if (tool === "secret-grant") {
        if (unit !== undefined && !(unit in rel.remoteUnitsData)) throw new ToolError(`unit "${unit}" is not in relation "${relationIdString(rel)}"`);
        const grants = secret.grants[key] ?? [];
        const who = unit ?? "*";
        if (!grants.includes(who)) grants.push(who);
        secret.grants[key] = grants;
      } else if (unit === undefined) delete secret.grants[key];
      else secret.grants[key] = (secret.grants[key] ?? []).filter((u) => u !== unit);
      return "";
    }
    case "secret-remove": {
      const secret = ownSecret(world, p.args[0]);
      world.secrets = world.secrets.filter((s) => s !== secret);
      return "";
    }
    case "secret-ids":
      return json(world.secrets.filter((s) => s.owner !== "remote").map((s) => s.id));
    default:
      throw new ToolError(`the fake hook tools do not implement ${tool}`);
  }
}

/** Whether a remote secret's grants name a relation this unit is in, for the whole application or this unit. */
function grantedToUnit(world: World, secret: WorldSecret): boolean {
  return Object.entries(secret.grants).some(([relationId, who]) =>
    (relationId === "*" || world.relations.some((r) => String(r.id) === relationId)) && (who.includes("*") || who.includes(world.unitName)));
}

/** Secret ids are 20 lowercase base32 characters, like Juju's xids; counting keeps them stable. */
function nextSecretId(world: World): string {
  for (let n = world.secrets.length + world.toolCalls.length; ; n++) {
    const id = `d${n.toString(32).padStart(19, "0")}`;
    if (!world.secrets.some((s) => s.id === `secret:${id}`)) return id;
  }
}

/** What one tool call printed and how it exited. */
export interface ToolAnswer {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Answers one hook-tool call against `world`, recording it there. */
export function answerToolCall(world: World, tool: string, argv: string[], stdin: string): ToolAnswer {
  world.toolCalls.push([tool, ...argv]);
  try {
    return { stdout: runTool(world, tool, argv, stdin), stderr: "", exitCode: 0 };
  } catch (error) {
    if (!(error instanceof ToolError)) {
      return { stdout: "", stderr: `ERROR fake hook tool crashed: ${(error as Error).stack ?? String(error)}\n`, exitCode: 1 };
    }
    return { stdout: "", stderr: `ERROR ${error.message}\n`, exitCode: error.exitCode };
  }
}
