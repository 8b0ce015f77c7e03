/**
 * @module hookenv/relation
 * relation-ids, relation-list, relation-get, relation-set and relation-model-get.
 * Relation ids are Juju's `endpoint:N` strings; data goes in through stdin so no value
 * ever meets an argv length limit.
 */
import { runTool, runToolJson } from "./run-tool.ts";

/** A relation databag: string keys to string values. */
export type Databag = Record<string, string>;

/** Where to read or write: a relation id (defaults to the hook's own relation). */
export interface RelationTarget {
  relationId?: string;
}

function relationArgs(target: RelationTarget): string[] {
  return target.relationId === undefined ? [] : ["-r", target.relationId];
}

/** The ids (`endpoint:N`) of the live relations on an endpoint. */
export async function relationIds(endpoint: string): Promise<string[]> {
  return (await runToolJson<string[]>(["relation-ids", "--format=json", endpoint])) ?? [];
}

/** The remote units of a relation. */
export async function relationList(target: RelationTarget = {}): Promise<string[]> {
  return (await runToolJson<string[]>(["relation-list", "--format=json", ...relationArgs(target)])) ?? [];
}

/** The remote application's name on a relation, or null when Juju does not know it. */
export async function relationRemoteApp(target: RelationTarget = {}): Promise<string | null> {
  const out = await runToolJson<string | string[] | null>(["relation-list", "--format=json", "--app", ...relationArgs(target)]);
  if (Array.isArray(out)) return out[0] ?? null;
  return out ?? null;
}

/**
 * All of one unit's or application's data on a relation.
 * @param owner a unit name (`app/0`) or, with `app: true`, an application name.
 */
export async function relationGet(owner: string, target: RelationTarget & { app?: boolean } = {}): Promise<Databag> {
  const argv = ["relation-get", "--format=json", ...relationArgs(target)];
  if (target.app) argv.push("--app");
  argv.push("-", owner);
  return (await runToolJson<Databag>(argv)) ?? {};
}

/**
 * Merges `data` into this unit's (or, with `app: true`, this application's) databag;
 * an empty string deletes a key, as in Juju.
 */
export async function relationSet(data: Databag, target: RelationTarget & { app?: boolean } = {}): Promise<void> {
  const argv = ["relation-set", ...relationArgs(target)];
  if (target.app) argv.push("--app");
  argv.push("--file", "-");
  await runTool(argv, { input: JSON.stringify(data) });
}

/** The model a relation's remote side lives in (its uuid). */
export async function relationModelGet(target: RelationTarget = {}): Promise<{ uuid: string }> {
  return await runToolJson<{ uuid: string }>(["relation-model-get", "--format=json", ...relationArgs(target)]);
}
