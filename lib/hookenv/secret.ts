/**
 * @module hookenv/secret
 * secret-add, secret-get, secret-set, secret-grant, secret-remove and secret-ids.
 * Content goes through argv as `key=value`, which is how the tools take it; keep
 * secret values short (credentials, not files).
 */
import { OrchestraError } from "../errors.ts";
import { runTool, runToolJson } from "./run-tool.ts";

/** Options for creating a secret. */
export interface SecretAddOptions {
  label?: string;
  description?: string;
  owner?: "application" | "unit";
}

// Juju secret keys: lowercase letters, digits and dashes, at least 3 characters.
const SECRET_KEY = /^[a-z](?:-?[a-z0-9]){2,}$/;

function contentArgs(content: Record<string, string>): string[] {
  const entries = Object.entries(content);
  if (entries.length === 0) throw new OrchestraError("INVALID_ARGUMENT", "a secret needs at least one key");
  return entries.map(([k, v]) => {
    if (!SECRET_KEY.test(k)) throw new OrchestraError("INVALID_ARGUMENT", `not a valid secret key: ${k}`);
    return `${k}=${v}`;
  });
}

/** Creates a secret and returns its URI (`secret:...`). */
export async function secretAdd(content: Record<string, string>, options: SecretAddOptions = {}): Promise<string> {
  const argv = ["secret-add"];
  if (options.label !== undefined) argv.push("--label", options.label);
  if (options.description !== undefined) argv.push("--description", options.description);
  if (options.owner !== undefined) argv.push("--owner", options.owner === "application" ? "application" : "unit");
  argv.push(...contentArgs(content));
  return (await runTool(argv)).trim();
}

/** A secret's content, by URI or by label. */
export async function secretGet(ref: { id: string } | { label: string }, options: { refresh?: boolean; peek?: boolean } = {}): Promise<Record<string, string>> {
  const argv = ["secret-get", "--format=json"];
  if ("id" in ref) argv.push(ref.id);
  else argv.push("--label", ref.label);
  if (options.refresh) argv.push("--refresh");
  if (options.peek) argv.push("--peek");
  return (await runToolJson<Record<string, string>>(argv)) ?? {};
}

/** Replaces a secret's content with a new revision. */
export async function secretSet(id: string, content: Record<string, string>): Promise<void> {
  await runTool(["secret-set", id, ...contentArgs(content)]);
}

/** Lets the remote application (or one of its units) of a relation read a secret. */
export async function secretGrant(id: string, relationId: string, options: { unit?: string } = {}): Promise<void> {
  const argv = ["secret-grant", "--relation", relationId];
  if (options.unit !== undefined) argv.push("--unit", options.unit);
  argv.push(id);
  await runTool(argv);
}

/** Removes a secret (or one revision of it). */
export async function secretRemove(id: string, options: { revision?: number } = {}): Promise<void> {
  // Flags before the id: Juju's tools parse flags up to the first positional argument.
  const argv = ["secret-remove"];
  if (options.revision !== undefined) argv.push("--revision", String(options.revision));
  argv.push(id);
  await runTool(argv);
}

/** The URIs of the secrets this unit or application owns. */
export async function secretIds(): Promise<string[]> {
  return (await runToolJson<string[]>(["secret-ids", "--format=json"])) ?? [];
}
