/**
 * The dashboard's JSON API over a real listener and a real SQLite store: sessions, CSRF,
 * rate limiting, account isolation, validation, and the change feed seeing a write made by
 * another connection (as the CLI in another process makes it). Machines use the `fake` power
 * driver (test only).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { openStore } from "../../lib/store/open-store.ts";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { CredentialStore } from "../../lib/ec2/credentials/credential-store.ts";
import { MaasKeyStore } from "../../lib/maas/credentials/maas-key-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../lib/ec2/credentials/secret-box.ts";
import { UserStore } from "../../lib/dashboard/user-store.ts";
import { LoginLimiter } from "../../lib/dashboard/login-limiter.ts";
import { ChangeFeed } from "../../lib/dashboard/change-feed.ts";
import { startDashboard, type DashboardListener } from "../../lib/dashboard/dashboard-listener.ts";
import { resolveConnectionLimits } from "../../lib/server/connection-limits.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { nextMac, tempDataDir } from "../helpers/inventory.ts";
import { claimPowerAction, finishPowerAction } from "../../lib/engine/power-action-rows.ts";
import { allowedActions } from "../../lib/dashboard/machine-actions.ts";
import { join } from "node:path";

let dir: { dir: string; cleanup: () => void };
let db: SqlDatabase;
let dashboard: DashboardListener;
let base: string;
let inventory: Inventory;
let credentials: CredentialStore;

async function login(user: string, password: string): Promise<{ cookie: string; csrf: string; status: number; body: any }> {
  const response = await fetch(`${base}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user, password }) });
  const body = (await response.json()) as any;
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  return { cookie, csrf: body.csrfToken, status: response.status, body };
}

async function call(path: string, session: { cookie?: string; csrf?: string; bearer?: string }, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (session.cookie) headers.cookie = session.cookie;
  if (session.csrf) headers["x-csrf-token"] = session.csrf;
  if (session.bearer) headers.authorization = `Bearer ${session.bearer}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}/api/v1${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  dir = tempDataDir();
  db = await openStore(dir.dir);
  inventory = new Inventory(db);
  const box = secretBox(await loadOrCreateSecretKey(join(dir.dir, SECRET_KEY_FILE)));
  credentials = new CredentialStore(db, box);
  const users = new UserStore(db, { limits: { idleSeconds: 2, absoluteSeconds: 3600 } });
  await users.create("alice", "correct horse", { admin: true });
  await users.create("bob", "battery staple", { account: "team1" });
  await users.create("dave", "dave's password", { account: "team1" });
  for (const [hostname, zone, tag] of [["alpha", "default", "rack1"], ["bravo", "default", "rack2"], ["charlie", "default", "rack1"]] as const) {
    await inventory.addMachine({ hostname, zone, tags: [tag], interfaces: [{ mac: nextMac() }], cpus: 4, memoryMib: 8192, disks: [{ name: "sda", sizeBytes: 100 * 2 ** 30 }], power: { type: "fake", params: {} } } as never);
  }
  dashboard = await startDashboard({
    listen: { host: "127.0.0.1", port: 0 },
    logger: pino({ level: "silent" }),
    limits: resolveConnectionLimits(),
    services: { inventory, users, credentials, maasKeys: new MaasKeyStore(db, box), limiter: new LoginLimiter({ maxFailures: 3 }), changes: new ChangeFeed(db, 100) },
  });
  base = `http://127.0.0.1:${dashboard.address.port}`;
});

afterAll(async () => {
  await dashboard?.close();
  await db?.close();
  dir?.cleanup();
});

describe("the dashboard API", () => {
  it("logs in with an HttpOnly, SameSite=Strict cookie and logs out on the server", async () => {
    const response = await fetch(`${base}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: "correct horse" }) });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^orchestra_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const session = { cookie: setCookie.split(";")[0]!, csrf: ((await response.json()) as any).csrfToken };
    expect((await call("/session", session)).body.user.name).toBe("alice");
    expect((await call("/logout", session, { method: "POST", body: {} })).status).toBe(200);
    // The same cookie, replayed after logout, opens nothing.
    expect(await call("/session", session)).toEqual({ status: 401, body: { error: { code: "AUTH_REQUIRED", message: expect.any(String) } } });
  });

  it("refuses a wrong password without saying which part was wrong, then rate-limits", async () => {
    const wrong = await login("alice", "not the password");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("LOGIN_FAILED");
    const unknown = await login("zed", "not the password");
    expect(unknown.body.error).toEqual(wrong.body.error);
    await login("zed", "again wrong");
    const limited = await login("alice", "correct horse");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
  });

  it("refuses a state-changing request that carries the cookie but not the CSRF token", async () => {
    // The limiter counts per address; this file's logins come from one, so use an API key to make a session-less user first.
    const users = new UserStore(db);
    const session = await users.startSession((await users.list()).find((u) => u.name === "alice")!);
    const cookie = `orchestra_session=${session.token}`;
    const machines = (await call("/machines", { cookie })).body.machines as { systemId: string }[];
    const missing = await call("/machines/actions", { cookie }, { method: "POST", body: { action: "accept", machines: [machines[0]!.systemId] } });
    expect(missing).toEqual({ status: 403, body: { error: { code: "CSRF_TOKEN_INVALID", message: expect.any(String) } } });
    const wrong = await call("/machines/actions", { cookie, csrf: "x".repeat(32) }, { method: "POST", body: { action: "accept", machines: [machines[0]!.systemId] } });
    expect(wrong.status).toBe(403);
    expect((await inventory.getMachine(machines[0]!.systemId)).status).toBe("new");
    const ok = await call("/machines/actions", { cookie, csrf: session.csrfToken }, { method: "POST", body: { action: "accept", machines: [machines[0]!.systemId] } });
    expect(ok.status).toBe(200);
    expect(ok.body.results[0]).toMatchObject({ ok: true });
  });

  it("ends an idle session", async () => {
    const users = new UserStore(db, { limits: { idleSeconds: 2, absoluteSeconds: 3600 } });
    const session = await users.startSession((await users.list()).find((u) => u.name === "alice")!);
    const cookie = `orchestra_session=${session.token}`;
    expect((await call("/session", { cookie })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    expect((await call("/session", { cookie })).body.error.code).toBe("AUTH_REQUIRED");
  });

  it("shows a non-admin only their account's instances and keys, and refuses the rest", async () => {
    const users = new UserStore(db);
    const all = await users.list();
    const bob = await users.startSession(all.find((u) => u.name === "bob")!);
    const bobSession = { cookie: `orchestra_session=${bob.token}`, csrf: bob.csrfToken };
    await credentials.create("team1");
    const other = await credentials.create("team2");
    await inventory.db.run("UPDATE machines SET status = 'ready'");
    await inventory.allocate({}, "team2");
    expect((await call("/machines", bobSession)).body.error.code).toBe("ACCESS_DENIED");
    expect((await call("/instances?account=team2", bobSession)).body.error.code).toBe("ACCESS_DENIED");
    expect((await call("/instances", bobSession)).body.instances).toEqual([]);
    expect((await call("/credentials?account=team2", bobSession)).body.error.code).toBe("ACCESS_DENIED");
    const keys = (await call("/credentials", bobSession)).body;
    expect(keys.ec2.map((k: { account: string }) => k.account)).toEqual(["team1"]);
    const revoke = await call("/credentials/revoke", bobSession, { method: "POST", body: { id: other.accessKeyId } });
    expect(revoke.body.error.code).toBe("CREDENTIAL_NOT_FOUND");
    expect((await credentials.list()).find((c) => c.accessKeyId === other.accessKeyId)!.revokedAt).toBeNull();
    const created = await call("/credentials", bobSession, { method: "POST", body: { account: "team2" } });
    expect(created.body.error.code).toBe("ACCESS_DENIED");
    const mine = await call("/credentials", bobSession, { method: "POST", body: {} });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ kind: "ec2", account: "team1", secretAccessKey: expect.any(String) });
    // The secret is shown once: the list never has it.
    expect(JSON.stringify((await call("/credentials", bobSession)).body)).not.toContain(mine.body.secretAccessKey);
  });

  it("answers scripts with an API key, without a CSRF token, and refuses a revoked one", async () => {
    const users = new UserStore(db);
    const { keyId, apiKey } = await users.createApiKey("alice");
    const page = await call("/machines?status=ready&sort=hostname&order=desc&pageSize=2", { bearer: apiKey });
    expect(page.status).toBe(200);
    expect(page.body.total).toBeGreaterThan(0);
    await users.revokeApiKey(keyId);
    expect((await call("/machines", { bearer: apiKey })).body.error.code).toBe("AUTH_REQUIRED");
  });

  it("validates every query field and body field with typed errors and changes nothing", async () => {
    const { apiKey } = await new UserStore(db).createApiKey("alice");
    const s = { bearer: apiKey };
    for (const [query, field] of [["status=nonsense", "status"], ["sort=power", "sort"], ["order=up", "order"], ["page=0", "page"], ["pageSize=100000", "pageSize"], ["zone=%3Cb%3E", "zone"], ["tag=a%20b", "tag"], ["colour=red", "colour"]]) {
      const answer = await call(`/machines?${query}`, s);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code, query).toBe("INVALID_ARGUMENT");
      expect(answer.body.error.message, query).toContain(field);
    }
    const before = await inventory.listMachines();
    for (const body of [{ action: "explode", machines: ["abc123"] }, { action: "accept" }, { action: "accept", machines: ["<x>"] }, { action: "accept", machines: ["abc123"], extra: 1 }, { action: "mark-broken", machines: [before[0]!.systemId] }]) {
      const answer = await call("/machines/actions", s, { method: "POST", body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(["INVALID_ARGUMENT", "MISSING_ARGUMENT"], JSON.stringify(body)).toContain(answer.body.error.code);
    }
    expect(await inventory.listMachines()).toEqual(before);
    const notJson = await fetch(`${base}/api/v1/machines/actions`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/x-www-form-urlencoded" }, body: "action=accept" });
    expect(((await notJson.json()) as any).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("shows a machine's page data: its events, the BMC's last power steps, the actions its state allows", async () => {
    const { apiKey } = await new UserStore(db).createApiKey("alice");
    const machine = (await inventory.listMachines()).find((m) => m.hostname === "charlie")!;
    const at = new Date().toISOString();
    await db.transaction(async (tx) => {
      await claimPowerAction(tx, machine.systemId, machine.statusChangedAt, machine.status, new Date(), 60_000);
      await finishPowerAction(tx, machine.systemId, machine.statusChangedAt, "failed", "BMC did not answer", new Date(at));
    });
    const page = await call(`/machines/${machine.systemId}`, { bearer: apiKey });
    expect(page.status).toBe(200);
    expect(page.body.powerSteps).toEqual([{ forStatus: machine.status, outcome: "failed", message: "BMC did not answer", claimedAt: expect.any(String), finishedAt: at }]);
    expect(page.body.events.at(0).reason).toMatch(/added/);
    expect(page.body.actions).toEqual(allowedActions(machine.status));
    expect((await call("/machines/not-a-machine", { bearer: apiKey })).body.error.code).toBe("MACHINE_NOT_FOUND");
    expect((await call("/machines/%3Cx%3E", { bearer: apiKey })).body.error.code).toBe("INVALID_ARGUMENT");
  });

  it("filters by free text, tag and status, sorts and pages on the server", async () => {
    const { apiKey } = await new UserStore(db).createApiKey("alice");
    const names = async (q: string) => ((await call(`/machines?${q}`, { bearer: apiKey })).body.machines as { hostname: string }[]).map((m) => m.hostname);
    expect(await names("tag=rack1")).toEqual(["alpha", "charlie"]);
    expect(await names("q=RAV")).toEqual(["bravo"]);
    expect(await names("sort=hostname&order=desc")).toEqual(["charlie", "bravo", "alpha"]);
    expect(await names("pageSize=1&page=2")).toEqual(["bravo"]);
    expect(await names("q=%25")).toEqual([]);
  });

  it("tells listeners within a second when another connection changes the store, numbering each change", async () => {
    const { apiKey } = await new UserStore(db).createApiKey("alice");
    const response = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = "";
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/event: hello/);
    // Another connection to the same file, as `orchestra machines mark-broken` in another process is.
    const other = await openStore(dir.dir);
    try {
      const started = Date.now();
      const machine = (await new Inventory(other).listMachines())[1]!;
      await new Inventory(other).markBroken(machine.systemId, "fan <b>failure</b>");
      await until(/event: change\ndata: \{"seq":\d+\}/);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await reader.cancel();
      await other.close();
    }
  });

  it("serves the pages with a policy that runs no inline script", async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).not.toMatch(/<script>(?!<\/script>)/);
    expect((await fetch(`${base}/assets/app.js`)).headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${base}/assets/..%2Fdashboard-api.ts`)).status).toBe(404);
  });
});
