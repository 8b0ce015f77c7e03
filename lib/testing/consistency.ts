/**
 * @module testing/consistency
 * Refuses a State or event that the charm's own metadata says cannot happen (an unknown
 * endpoint, a config value of the wrong type, an undeclared action parameter), so a test
 * never passes against a world Juju would not produce.
 */
import { OrchestraError } from "../errors.ts";
import type { CharmSpec, ConfigOptionSpec } from "./charm-spec.ts";
import type { CharmEvent } from "./events.ts";
import type { State } from "./state.ts";

const KNOWN_HOOKS = new Set([
  "install", "start", "stop", "remove", "update-status", "config-changed", "upgrade-charm", "pre-series-upgrade", "post-series-upgrade",
  "leader-elected", "leader-settings-changed", "secret-changed", "secret-rotate", "secret-remove", "secret-expired",
]);

function configTypeOk(type: ConfigOptionSpec["type"], value: unknown): boolean {
  switch (type) {
    case "string": return typeof value === "string";
    case "secret": return typeof value === "string" && value.startsWith("secret:");
    case "int": return typeof value === "number" && Number.isInteger(value);
    case "float": return typeof value === "number" && Number.isFinite(value);
    case "boolean": return typeof value === "boolean";
  }
}

function schemaTypeOk(schema: Record<string, unknown>, value: unknown): boolean {
  switch (schema.type) {
    case undefined: return true;
    case "string": return typeof value === "string";
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "number": return typeof value === "number";
    case "boolean": return typeof value === "boolean";
    case "array": return Array.isArray(value);
    case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
    default: return true;
  }
}

/** Every problem with `state` and `event` against `spec`; empty when consistent. */
export function findInconsistencies(spec: CharmSpec, event: CharmEvent, state: State): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(state.config)) {
    const option = spec.config[key];
    if (!option) problems.push(`config option "${key}" is not in config.yaml`);
    else if (!configTypeOk(option.type, value)) problems.push(`config option "${key}" is a ${option.type} in config.yaml, got ${JSON.stringify(value)}`);
  }
  const ids = new Set<number>();
  const perEndpoint = new Map<string, number>();
  for (const rel of state.relations) {
    if (ids.has(rel.id)) problems.push(`two relations have id ${rel.id}`);
    ids.add(rel.id);
    const endpoint = spec.endpoints[rel.endpoint];
    if (!endpoint) {
      problems.push(`relation endpoint "${rel.endpoint}" is not in metadata.yaml`);
      continue;
    }
    perEndpoint.set(rel.endpoint, (perEndpoint.get(rel.endpoint) ?? 0) + 1);
    if (rel.interface !== undefined && rel.interface !== endpoint.interface) {
      problems.push(`relation "${rel.endpoint}" has interface "${endpoint.interface}" in metadata.yaml, not "${rel.interface}"`);
    }
    if ((endpoint.role === "peers") !== (rel.kind === "peer")) {
      problems.push(`endpoint "${rel.endpoint}" is under ${endpoint.role} in metadata.yaml; use ${endpoint.role === "peers" ? "peerRelation()" : "relation()"}`);
    }
  }
  for (const [endpoint, count] of perEndpoint) {
    const limit = spec.endpoints[endpoint]?.limit;
    if (limit !== undefined && count > limit) problems.push(`endpoint "${endpoint}" allows ${limit} relation(s), the State has ${count}`);
  }
  const secretIds = new Set<string>();
  for (const s of state.secrets) {
    if (secretIds.has(s.id)) problems.push(`two secrets have id ${s.id}`);
    secretIds.add(s.id);
  }

  if (event.kind === "action") {
    const action = spec.actions[event.name];
    if (!action) {
      problems.push(`action "${event.name}" is not in actions.yaml`);
    } else {
      for (const [param, value] of Object.entries(event.params)) {
        const schema = action.params[param];
        if (!schema) {
          if (!action.additionalProperties) problems.push(`action "${event.name}" has no parameter "${param}"`);
        } else if (!schemaTypeOk(schema, value)) {
          problems.push(`action parameter "${param}" must be ${String(schema.type)}, got ${JSON.stringify(value)}`);
        }
      }
      for (const param of action.required) {
        if (!(param in event.params) && action.params[param]?.default === undefined) problems.push(`action "${event.name}" needs parameter "${param}"`);
      }
    }
  } else if (event.relation) {
    const rel = state.relations.find((r) => r.id === event.relation!.id);
    if (!rel) problems.push(`the event's relation ${event.relation.endpoint}:${event.relation.id} is not in the State`);
    if (!event.name.startsWith(`${event.relation.endpoint}-relation-`)) problems.push(`hook ${event.name} does not belong to endpoint ${event.relation.endpoint}`);
  } else if (!KNOWN_HOOKS.has(event.name)) {
    problems.push(`"${event.name}" is not a Juju hook this Context can run`);
  }
  if (event.kind === "hook" && event.secret && !secretIds.has(event.secret.id)) problems.push(`the event's secret ${event.secret.id} is not in the State`);
  return problems;
}

/**
 * Throws when `state` or `event` contradicts the charm's metadata.
 * @throws OrchestraError INCONSISTENT_STATE listing every problem found.
 */
export function checkConsistency(spec: CharmSpec, event: CharmEvent, state: State): void {
  const problems = findInconsistencies(spec, event, state);
  if (problems.length > 0) {
    throw new OrchestraError("INCONSISTENT_STATE", `the State is inconsistent with charm "${spec.name}":\n- ${problems.join("\n- ")}`, { problems });
  }
}
