/**
 * @module hookenv/hook-environment
 * The variables Juju sets for a hook or action, parsed once into one typed object.
 */
import { OrchestraError } from "../errors.ts";

/** What kind of event this process was started for. */
export type DispatchKind = "hook" | "action";

/** The hook environment, parsed. Fields that only some events have are undefined elsewhere. */
export interface HookEnvironment {
  /** `hooks/<name>` or `actions/<name>`, as Juju set it. */
  dispatchPath: string;
  kind: DispatchKind;
  /** The hook or action name (`config-changed`, `db-relation-joined`, `create-credentials`). */
  name: string;
  unitName: string;
  /** The application name, taken from the unit name. */
  appName: string;
  charmDir: string;
  modelName: string | undefined;
  modelUuid: string | undefined;
  /** The relation endpoint of a relation hook. */
  relationName: string | undefined;
  /** The relation id (`endpoint:N`) of a relation hook. */
  relationId: string | undefined;
  remoteApp: string | undefined;
  remoteUnit: string | undefined;
  departingUnit: string | undefined;
  actionName: string | undefined;
  actionUuid: string | undefined;
  secretId: string | undefined;
  secretLabel: string | undefined;
  secretRevision: number | undefined;
  jujuVersion: string | undefined;
  /** The model's proxy settings for the charm (always set by Juju, possibly empty). */
  proxy: { http: string; https: string; noProxy: string };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Parses the hook environment from `env` (process.env by default).
 * @throws OrchestraError MISSING_ARGUMENT when JUJU_UNIT_NAME or the dispatch path is absent,
 * which means the code is not running under Juju.
 * @example
 * const env = readHookEnvironment();
 * if (env.kind === "action") await runAction(env.name);
 */
export function readHookEnvironment(env: NodeJS.ProcessEnv = process.env): HookEnvironment {
  const unitName = nonEmpty(env.JUJU_UNIT_NAME);
  if (unitName === undefined || !unitName.includes("/")) {
    throw new OrchestraError("MISSING_ARGUMENT", "JUJU_UNIT_NAME is not set to app/N: not running under Juju");
  }
  // Old Juju (and hooks/<name> run by hand) set no JUJU_DISPATCH_PATH; fall back the way
  // ops does, to the hook name, then to the action name.
  const dispatchPath = nonEmpty(env.JUJU_DISPATCH_PATH)
    ?? (nonEmpty(env.JUJU_ACTION_NAME) ? `actions/${env.JUJU_ACTION_NAME}` : undefined)
    ?? (nonEmpty(env.JUJU_HOOK_NAME) ? `hooks/${env.JUJU_HOOK_NAME}` : undefined);
  if (dispatchPath === undefined) {
    throw new OrchestraError("MISSING_ARGUMENT", "neither JUJU_DISPATCH_PATH, JUJU_HOOK_NAME nor JUJU_ACTION_NAME is set");
  }
  const slash = dispatchPath.indexOf("/");
  const prefix = dispatchPath.slice(0, slash);
  const name = dispatchPath.slice(slash + 1);
  if ((prefix !== "hooks" && prefix !== "actions") || name === "") {
    throw new OrchestraError("INVALID_ARGUMENT", `JUJU_DISPATCH_PATH is neither hooks/<name> nor actions/<name>: ${dispatchPath}`);
  }
  const revision = nonEmpty(env.JUJU_SECRET_REVISION);
  return {
    dispatchPath,
    kind: prefix === "hooks" ? "hook" : "action",
    name,
    unitName,
    appName: unitName.slice(0, unitName.indexOf("/")),
    charmDir: nonEmpty(env.JUJU_CHARM_DIR) ?? nonEmpty(env.CHARM_DIR) ?? process.cwd(),
    modelName: nonEmpty(env.JUJU_MODEL_NAME),
    modelUuid: nonEmpty(env.JUJU_MODEL_UUID),
    relationName: nonEmpty(env.JUJU_RELATION),
    relationId: nonEmpty(env.JUJU_RELATION_ID),
    remoteApp: nonEmpty(env.JUJU_REMOTE_APP),
    remoteUnit: nonEmpty(env.JUJU_REMOTE_UNIT),
    departingUnit: nonEmpty(env.JUJU_DEPARTING_UNIT),
    actionName: nonEmpty(env.JUJU_ACTION_NAME) ?? (prefix === "actions" ? name : undefined),
    actionUuid: nonEmpty(env.JUJU_ACTION_UUID),
    secretId: nonEmpty(env.JUJU_SECRET_ID),
    secretLabel: nonEmpty(env.JUJU_SECRET_LABEL),
    secretRevision: revision === undefined ? undefined : Number(revision),
    jujuVersion: nonEmpty(env.JUJU_VERSION),
    proxy: {
      http: env.JUJU_CHARM_HTTP_PROXY ?? "",
      https: env.JUJU_CHARM_HTTPS_PROXY ?? "",
      noProxy: env.JUJU_CHARM_NO_PROXY ?? "",
    },
  };
}

/** Splits a relation hook name (`ec2-api-relation-joined`) into endpoint and event. */
export function parseRelationHook(name: string): { endpoint: string; event: "created" | "joined" | "changed" | "departed" | "broken" } | undefined {
  const m = /^(.+)-relation-(created|joined|changed|departed|broken)$/.exec(name);
  if (!m) return undefined;
  return { endpoint: m[1]!, event: m[2] as "created" | "joined" | "changed" | "departed" | "broken" };
}
