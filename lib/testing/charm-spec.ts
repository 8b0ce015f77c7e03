/**
 * @module testing/charm-spec
 * A charm's declared shape, read from its metadata.yaml, config.yaml and actions.yaml
 * (or the same keys in charmcraft.yaml), which the Context checks every State against.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load as loadYaml } from "js-yaml";
import { OrchestraError } from "../errors.ts";

/** One endpoint of the charm. */
export interface EndpointSpec {
  role: "provides" | "requires" | "peers";
  interface: string;
  limit?: number;
}

/** One config option. */
export interface ConfigOptionSpec {
  type: "string" | "int" | "float" | "boolean" | "secret";
  default?: string | number | boolean | null;
  description?: string;
}

/** One action, with its params as JSON Schema. */
export interface ActionSpec {
  description?: string;
  params: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: boolean;
}

/** Everything the Context needs to know about a charm. */
export interface CharmSpec {
  name: string;
  endpoints: Record<string, EndpointSpec>;
  extraBindings: string[];
  config: Record<string, ConfigOptionSpec>;
  actions: Record<string, ActionSpec>;
}

function readYaml(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  const data = loadYaml(readFileSync(path, "utf8"));
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw new OrchestraError("INCONSISTENT_STATE", `${path} is not a YAML map`);
  return data as Record<string, unknown>;
}

function asMap(value: unknown): Record<string, Record<string, unknown>> {
  return value !== null && typeof value === "object" ? (value as Record<string, Record<string, unknown>>) : {};
}

const CONFIG_TYPES = new Set(["string", "int", "float", "boolean", "secret"]);

/**
 * Reads the charm's spec from its directory.
 * @throws OrchestraError INCONSISTENT_STATE when a file is malformed or there is no name.
 */
export function loadCharmSpec(charmDir: string): CharmSpec {
  const charmcraft = readYaml(join(charmDir, "charmcraft.yaml")) ?? {};
  const metadata = readYaml(join(charmDir, "metadata.yaml")) ?? charmcraft;
  const configFile = readYaml(join(charmDir, "config.yaml")) ?? asMap(charmcraft.config);
  const actionsFile = readYaml(join(charmDir, "actions.yaml")) ?? asMap(charmcraft.actions);
  const name = metadata.name;
  if (typeof name !== "string" || name === "") throw new OrchestraError("INCONSISTENT_STATE", `no charm name in ${charmDir}/metadata.yaml`);

  const endpoints: Record<string, EndpointSpec> = {};
  for (const role of ["provides", "requires", "peers"] as const) {
    for (const [endpoint, spec] of Object.entries(asMap(metadata[role]))) {
      if (typeof spec.interface !== "string") throw new OrchestraError("INCONSISTENT_STATE", `endpoint ${endpoint} has no interface`);
      endpoints[endpoint] = { role, interface: spec.interface, ...(typeof spec.limit === "number" ? { limit: spec.limit } : {}) };
    }
  }
  const config: Record<string, ConfigOptionSpec> = {};
  for (const [option, spec] of Object.entries(asMap(configFile.options))) {
    const type = spec.type ?? "string";
    if (typeof type !== "string" || !CONFIG_TYPES.has(type)) throw new OrchestraError("INCONSISTENT_STATE", `config option ${option} has unknown type ${String(type)}`);
    config[option] = { type: type as ConfigOptionSpec["type"], ...(spec.default !== undefined ? { default: spec.default as ConfigOptionSpec["default"] } : {}) };
  }
  const actions: Record<string, ActionSpec> = {};
  for (const [action, spec] of Object.entries(asMap(actionsFile))) {
    actions[action] = {
      ...(typeof spec.description === "string" ? { description: spec.description } : {}),
      params: asMap(spec.params),
      required: Array.isArray(spec.required) ? spec.required.map(String) : [],
      additionalProperties: spec.additionalProperties !== false,
    };
  }
  return {
    name,
    endpoints,
    extraBindings: Object.keys(asMap(metadata["extra-bindings"])),
    config,
    actions,
  };
}
