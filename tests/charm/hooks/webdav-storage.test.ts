/**
 * WebDAV storage as a related application meets it: the charm's own nginx site and password
 * file served by a real nginx (workers as www-data, Debian's dav-ext module) on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { getRelation, relation } from "../../../lib/testing/index.ts";
import { charmHarness, configured, freePort, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
let nginx: ResultPromise | null = null;
beforeEach(() => {
  h = charmHarness();
  chmodSync(dirname(h.root), 0o755);
});
afterEach(async () => {
  if (nginx?.pid !== undefined) {
    process.kill(nginx.pid, "SIGTERM");
    await nginx.catch(() => undefined);
  }
  nginx = null;
  h.cleanup();
});

/** Runs the charm's site under a real nginx on 127.0.0.1:<port>, paths under the test root. */
async function serveSite(port: number): Promise<void> {
  const prefix = join(h.root, "nginx-test");
  mkdirSync(prefix, { recursive: true });
  const site = h.read("/etc/nginx/conf.d/orchestra.conf")
    .replace(/listen \S+ default_server;/, `listen 127.0.0.1:${port} default_server;`)
    .replaceAll(" /var/lib/orchestra/", ` ${h.root}/var/lib/orchestra/`)
    .replaceAll(" /etc/nginx/", ` ${h.root}/etc/nginx/`);
  writeFileSync(join(prefix, "site.conf"), site);
  writeFileSync(join(prefix, "nginx.conf"), [
    "load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;",
    "user www-data;",
    "daemon off;",
    "master_process on;",
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/error.log;`,
    "events {}",
    `http { access_log off; client_body_temp_path ${prefix}/body; include ${prefix}/site.conf; }`,
    "",
  ].join("\n"));
  nginx = execa("nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf")], { reject: false });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/images/`).then(() => true, () => false);
    if (up) return;
    await sleep(50);
  }
  throw new Error(`nginx did not start: ${existsSync(join(prefix, "error.log")) ? readFileSync(join(prefix, "error.log"), "utf8") : ""}`);
}

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
}

describe("WebDAV storage", () => {
  it("refuses writes and reads without the credentials the relation's secret carries, and serves them with them", async () => {
    const rel = relation({ endpoint: "webdav-storage", remoteApp: "backup", remoteUnitsData: { 0: {} } });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), configured({ leader: true, config: { components: "nginx" }, relations: [rel] }));
    const bags = getRelation(out.state, rel);
    const secretId = bags.localAppData["credentials-secret-id"]!;
    const secret = out.state.secrets.find((s) => s.id === secretId)!;
    // Granted to this relation; the password travels only in the secret.
    expect(secret.grants[String(rel.id)]).toEqual(["*"]);
    expect(secret.owner).toBe("application");
    const { username, password } = secret.contents as { username: string; password: string };
    expect(JSON.stringify([bags.localAppData, bags.localUnitData])).not.toContain(password);
    expect(bags.localUnitData["storage-url"]).toBe("http://192.0.2.0:80/webdav/");

    const port = await freePort();
    await serveSite(port);
    const url = `http://127.0.0.1:${port}/webdav/provider-state`;
    expect((await fetch(url, { method: "PUT", body: "anonymous" })).status).toBe(401);
    expect((await fetch(url, { method: "PUT", body: "wrong", headers: basic(username, "not-the-password") })).status).toBe(401);
    expect((await fetch(url, { method: "PUT", body: "state: 1\n", headers: basic(username, password) })).status).toBe(201);
    expect((await fetch(url)).status).toBe(401);
    const read = await fetch(url, { headers: basic(username, password) });
    expect(await read.text()).toBe("state: 1\n");
    expect((await fetch(url, { method: "DELETE" })).status).toBe(401);
    expect((await fetch(url, { method: "DELETE", headers: basic(username, password) })).status).toBe(204);
    // Boot images stay public: nodes fetch kernels without credentials.
    writeFileSync(join(h.root, "var/lib/orchestra/images/vmlinuz"), "kernel");
    expect(await (await fetch(`http://127.0.0.1:${port}/images/vmlinuz`)).text()).toBe("kernel");
  });

  it("a unit that is not the leader serves no WebDAV until the leader made the credentials, then the same ones", async () => {
    const follower = await h.ctx.run(h.ctx.on.install(), configured({ leader: false, config: { components: "nginx" } }));
    expect(follower.state.unitStatus.status).toBe("waiting");
    expect(follower.state.unitStatus.message).toContain("waiting for the leader to create the WebDAV credentials");
    expect(h.read("/etc/nginx/conf.d/orchestra.conf")).toContain("return 403;");

    const leader = await h.ctx.run(h.ctx.on.leaderElected(), { ...follower.state, leader: true });
    const again = await h.ctx.run(h.ctx.on.leaderSettingsChanged(), { ...leader.state, leader: false });
    expect(again.state.unitStatus.status).toBe("active");
    expect(h.read("/etc/nginx/conf.d/orchestra.conf")).toContain("auth_basic_user_file /etc/nginx/orchestra-webdav.htpasswd;");
  });
});
