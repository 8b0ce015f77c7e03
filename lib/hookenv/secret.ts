/**
 * @module hookenv/secret
 * secret-add, secret-get, secret-set, secret-grant, secret-remove and secret-ids.
 * Content goes through a file (`--file`, a YAML map; JSON is YAML) readable by root alone,
 * never through argv, where any local user could read it in `ps`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** Runs `use` with `--file <path>` holding the content (a 0600 file in a 0700 dir), then removes it. */
async function withContentFile<T>(content: Record<string, string>, use: (fileArgs: string[]) => Promise<T>): Promise<T> {
  const entries = Object.entries(content);
  if (entries.length === 0) throw new OrchestraError("INVALID_ARGUMENT", "a secret needs at least one key");
  for (const [k] of entries) {
    if (!SECRET_KEY.test(k)) throw new OrchestraError("INVALID_ARGUMENT", `not a valid secret key: ${k}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "juju-secret-"));
  try {
    const file = join(dir, "content.yaml");
    writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
    return await use(["--file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates a secret and returns its URI (`secret:...`). */
export async function secretAdd(content: Record<string, string>, options: SecretAddOptions = {}): Promise<string> {
  const argv = ["secret-add"];
  if (options.label !== undefined) argv.push("--label", options.label);
  if (options.description !== undefined) argv.push("--description", options.description);
  if (options.owner !== undefined) argv.push("--owner", options.owner === "application" ? "application" : "unit");
  return await withContentFile(content, async (fileArgs) => (await runTool([...argv, ...fileArgs])).trim());
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
  await withContentFile(content, (fileArgs) => runTool(["secret-set", ...fileArgs, id]));
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
