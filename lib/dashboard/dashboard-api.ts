/**
 * @module dashboard/dashboard-api
 * The JSON API under /api/v1 that the dashboard's pages call, and that scripts may call too
 * with a session or an API key: the pages do nothing a script cannot. docs/dashboard.md
 * lists every route. Errors are the CLI's typed errors: `{"error": {"code", "message"}}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isOrchestraError, OrchestraError } from "../errors.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { machineView } from "../inventory/machine-view.ts";
import { bootMacOf } from "../inventory/machine.ts";
import { MACHINE_STATUSES } from "../inventory/lifecycle.ts";
import type { CredentialStore } from "../ec2/credentials/credential-store.ts";
import type { MaasKeyStore } from "../maas/credentials/maas-key-store.ts";
import { checkAccountName } from "../ec2/credentials/account-rows.ts";
import type { ImageSource } from "../ec2/model/image-source.ts";
import { imagesOnOffer } from "../ec2/model/image-source.ts";
import type { ConsoleLogSource } from "../deploy/console-log.ts";
import { deploymentOf } from "../deploy/deployment-rows.ts";
import { selectPowerActions } from "../engine/power-action-rows.ts";
import { allowedActions, MACHINE_ACTIONS, type MachineAction, runMachineAction } from "./machine-actions.ts";
import { listMachinePage, parseMachineListQuery } from "./machine-list.ts";
import { oneOf, onlyFields, optionalString, requiredString, stringList } from "./query-params.ts";
import { authenticate, type Caller, requireAdmin, sendError, sessionCookie, visibleAccount } from "./request-auth.ts";
import type { LoginLimiter } from "./login-limiter.ts";
import type { UserStore } from "./user-store.ts";
import type { ChangeFeed } from "./change-feed.ts";

/** What the API reads and drives. */
export interface DashboardApiServices {
  inventory: Inventory;
  users: UserStore;
  credentials: CredentialStore;
  maasKeys?: MaasKeyStore;
  images?: ImageSource;
  consoles?: ConsoleLogSource;
  limiter: LoginLimiter;
  changes: ChangeFeed;
  /** Cookies get Secure (the listener serves HTTPS). */
  secureCookies: boolean;
}

const SYSTEM_ID = /^[a-z0-9-]{1,64}$/;
/** How much of a console log the machine page shows. */
const CONSOLE_TAIL_BYTES = 8 * 1024;
const FAILED: readonly string[] = MACHINE_STATUSES.filter((s) => s.startsWith("failed_") || s === "broken");

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}

function caller(request: FastifyRequest): Caller {
  if (!request.caller) throw new OrchestraError("AUTH_REQUIRED", "log in first");
  return request.caller;
}

/** Register the API's routes on `app` (under the prefix it is registered with). */
export async function dashboardApi(app: FastifyInstance, services: DashboardApiServices): Promise<void> {
  const { inventory, users, credentials, limiter, changes } = services;
  app.setErrorHandler((error: unknown, _request, reply) => {
    if (isOrchestraError(error)) return sendError(reply, error);
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return sendError(reply, new OrchestraError("UNSUPPORTED_MEDIA_TYPE", "send JSON (Content-Type: application/json)"));
    if (e.statusCode === 413) return sendError(reply, new OrchestraError("PAYLOAD_TOO_LARGE", "the request body is too large"));
    if (e.statusCode !== undefined && e.statusCode < 500) return sendError(reply, new OrchestraError("INVALID_ARGUMENT", e.message ?? "bad request"));
    reply.log.error({ err: error }, "dashboard API failed");
    return sendError(reply, new OrchestraError("INTERNAL", "an unexpected failure; the server's log has the details"));
  });
  // Every route but login needs a caller; writes with a cookie need the CSRF header.
  app.addHook("preHandler", async (request) => {
    if (request.routeOptions.url?.endsWith("/login")) return;
    request.caller = await authenticate(request, users);
  });
  // A write through the dashboard shows on every open page at once, not at the next poll.
  app.addHook("onResponse", async (request) => {
    if (request.method !== "GET") await changes.poll();
  });

  app.post("/login", async (request, reply) => {
    const body = onlyFields(request.body, ["user", "password"], "body");
    const name = requiredString(body, "user", 63);
    const password = requiredString(body, "password", 1024);
    limiter.check(request.ip, name);
    let user;
    try {
      user = await users.authenticate(name, password);
    } catch (error) {
      if (isOrchestraError(error) && error.code === "LOGIN_FAILED") limiter.fail(request.ip, name);
      throw error;
    }
    const session = await users.startSession(user);
    reply.header("set-cookie", sessionCookie(session.token, services.secureCookies, users.limits.absoluteSeconds));
    return { user, csrfToken: session.csrfToken };
  });

  app.post("/logout", async (request, reply) => {
    const who = caller(request);
    if (who.via.kind === "session") await users.endSession(who.via.token);
    reply.header("set-cookie", sessionCookie("", services.secureCookies, 0));
    return { loggedOut: true };
  });

  app.get("/session", async (request) => {
    const who = caller(request);
    return { user: who.user, csrfToken: who.via.kind === "session" ? who.via.csrfToken : null };
  });

  app.get("/overview", async (request) => {
    const who = caller(request);
    const account = visibleAccount(who, undefined);
    const instances = (await inventory.listInstances(account)).filter((i) => i.endedAt === null).length;
    if (!who.user.admin) return { counts: null, instances, recentFailures: [] };
    const rows = await inventory.db.all<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM machines GROUP BY status");
    const counts = Object.fromEntries(MACHINE_STATUSES.map((s) => [s, 0]));
    for (const row of rows) counts[row.status] = Number(row.n);
    const failures = await inventory.db.all<{ system_id: string; hostname: string; status: string; status_message: string; status_changed_at: string }>(
      `SELECT system_id, hostname, status, status_message, status_changed_at FROM machines WHERE status IN (${FAILED.map((_, i) => `$${i + 1}`).join(", ")}) ORDER BY status_changed_at DESC LIMIT 10`,
      [...FAILED],
    );
    return { counts, instances, recentFailures: failures.map((f) => ({ systemId: f.system_id, hostname: f.hostname, status: f.status, message: f.status_message, at: f.status_changed_at })) };
  });

  app.get("/machines", async (request) => {
    requireAdmin(caller(request));
    const query = parseMachineListQuery(request.query);
    const page = await listMachinePage(inventory.db, query);
    return { ...page, page: query.page, pageSize: query.pageSize };
  });

  app.get("/machines/:systemId", async (request) => {
    requireAdmin(caller(request));
    const { systemId } = request.params as { systemId: string };
    if (!SYSTEM_ID.test(systemId)) throw new OrchestraError("INVALID_ARGUMENT", `invalid system id ${JSON.stringify(systemId)}`, { field: "systemId" });
    onlyFields(request.query, [], "query");
    const machine = await inventory.getMachine(systemId);
    const events = await inventory.events(systemId);
    const deployment = await deploymentOf(inventory.db, machine.systemId);
    const instance = (await inventory.listInstances()).find((i) => i.systemId === machine.systemId && i.endedAt === null) ?? null;
    const mac = bootMacOf(machine);
    // What the BMC last did and said: the lifecycle engine's newest power steps.
    const powerSteps = (await selectPowerActions(inventory.db, machine.systemId)).slice(-5).reverse()
      .map((p) => ({ forStatus: p.status, outcome: p.outcome, message: p.message, claimedAt: p.claimed_at, finishedAt: p.finished_at }));
    const consoleTail = mac && services.consoles ? (await services.consoles.read(mac, 0, CONSOLE_TAIL_BYTES)).toString("utf8") : "";
    return {
      machine: machineView(machine, inventory.powerTypes),
      events,
      instance,
      deployment: deployment ? { phase: deployment.phase, bytesDone: deployment.bytesDone, bytesTotal: deployment.bytesTotal, message: deployment.message, imageId: deployment.imageId, startedAt: deployment.startedAt, updatedAt: deployment.updatedAt } : null,
      consoleTail,
      powerSteps,
      actions: allowedActions(machine.status),
    };
  });

  app.post("/machines/actions", async (request) => {
    const who = caller(request);
    requireAdmin(who);
    const body = onlyFields(request.body, ["action", "machines", "reason"], "body");
    requiredString(body, "action");
    const action = oneOf(body, "action", Object.keys(MACHINE_ACTIONS) as MachineAction[], "accept");
    const machines = stringList(body, "machines", SYSTEM_ID, 1000);
    return { results: await runMachineAction(inventory, action, machines, who.user.name, optionalString(body, "reason", 500)) };
  });

  app.get("/instances", async (request) => {
    const who = caller(request);
    const query = onlyFields(request.query, ["account", "state"], "query");
    const asked = optionalString(query, "account", 63);
    if (asked !== undefined) checkAccountName(asked);
    const state = oneOf(query, "state", ["open", "ended", "all"] as const, "all");
    const account = visibleAccount(who, asked);
    const instances = (await inventory.listInstances(account)).filter((i) => state === "all" || (state === "open") === (i.endedAt === null));
    const machines = new Map((await inventory.db.all<{ system_id: string; hostname: string; status: string }>("SELECT system_id, hostname, status FROM machines")).map((m) => [m.system_id, m]));
    return {
      instances: instances.map((i) => {
        const machine = i.systemId ? machines.get(i.systemId) : undefined;
        // A non-admin sees their instance's state, not the machine's identity beyond its hostname.
        return { instanceId: i.instanceId, account: i.account, instanceType: i.instanceType, createdAt: i.createdAt, endedAt: i.endedAt, hostname: machine?.hostname ?? null, machineStatus: machine?.status ?? null, ...(who.user.admin ? { systemId: i.systemId } : {}) };
      }),
    };
  });

  app.get("/images", async (request) => {
    caller(request);
    onlyFields(request.query, [], "query");
    return { images: await imagesOnOffer(services.images, inventory) };
  });

  app.get("/instance-types", async (request) => {
    caller(request);
    onlyFields(request.query, [], "query");
    return { instanceTypes: await inventory.listInstanceTypes() };
  });

  app.get("/credentials", async (request) => {
    const who = caller(request);
    const query = onlyFields(request.query, ["account"], "query");
    const asked = optionalString(query, "account", 63);
    if (asked !== undefined) checkAccountName(asked);
    const account = visibleAccount(who, asked);
    const mine = <T extends { account: string }>(list: T[]) => list.filter((c) => account === undefined || c.account === account);
    return {
      ec2: mine(await credentials.list()),
      maas: services.maasKeys ? mine(await services.maasKeys.list()) : [],
    };
  });

  app.post("/credentials", async (request, reply) => {
    const who = caller(request);
    const body = onlyFields(request.body, ["account", "kind"], "body");
    const asked = optionalString(body, "account", 63) ?? (who.user.admin ? "default" : undefined);
    if (asked !== undefined) checkAccountName(asked);
    const account = visibleAccount(who, asked) ?? "default";
    const kind = oneOf(body, "kind", ["ec2", "maas"] as const, "ec2");
    reply.code(201);
    if (kind === "maas") {
      if (!services.maasKeys) throw new OrchestraError("INVALID_ARGUMENT", "this server offers no MAAS API");
      return { kind, ...(await services.maasKeys.create(account)) };
    }
    return { kind, ...(await credentials.create(account)) };
  });

  app.post("/credentials/revoke", async (request) => {
    const who = caller(request);
    const body = onlyFields(request.body, ["id", "kind"], "body");
    const id = requiredString(body, "id", 128);
    const kind = oneOf(body, "kind", ["ec2", "maas"] as const, "ec2");
    const list = kind === "ec2" ? await credentials.list() : (await services.maasKeys?.list()) ?? [];
    const found = list.find((c) => ("accessKeyId" in c ? c.accessKeyId : c.tokenKey) === id);
    // Another account's key is "not found" to a non-admin: its existence is not theirs to learn.
    if (!found || (!who.user.admin && found.account !== who.user.account)) throw new OrchestraError("CREDENTIAL_NOT_FOUND", `no key ${JSON.stringify(id)} in your accounts`);
    return kind === "ec2" ? await credentials.revoke(id) : await services.maasKeys!.revoke(id);
  });

  app.get("/events", async (request, reply) => {
    caller(request);
    onlyFields(request.query, [], "query");
    streamChanges(request, reply, changes);
  });
}

/** Server-sent events: `change` with a sequence number, and a comment every 15 s so proxies keep the stream open. */
function streamChanges(request: FastifyRequest, reply: FastifyReply, changes: ChangeFeed): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
  // A client that reconnects tells us what it saw; it re-reads on `hello` whatever it missed.
  out.write(`retry: 1000\nid: ${changes.seq}\nevent: hello\ndata: {"seq":${changes.seq}}\n\n`);
  const stop = changes.subscribe((seq) => out.write(`id: ${seq}\nevent: change\ndata: {"seq":${seq}}\n\n`));
  const keepAlive = setInterval(() => out.write(": keep-alive\n\n"), 15_000);
  request.raw.on("close", () => {
    clearInterval(keepAlive);
    stop();
  });
}
