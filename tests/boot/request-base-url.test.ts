/**
 * The Host header (issue 11, finding 7), tried against a real server on loopback: odd Host
 * values used to make the boot-script route answer 500 with a stack trace, and any other
 * value was copied into boot scripts, deploy plans and seeds. Now Host is checked, and the
 * URLs come from configuration or the address the connection arrived on.
 */
import { request as httpRequest } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkBootBaseUrl } from "../../lib/boot/request-base-url.ts";
import { addImage } from "../../lib/images/image-store.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { type RunningServer, startServer } from "../../lib/server/orchestra-server.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage } from "../deploy/deploy-fixture.ts";

let dir: string;
let inventory: Inventory;
let server: RunningServer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-host-header-"));
  inventory = new Inventory(await openStore(join(dir, "data")));
  await writeFile(join(dir, "kernel"), "kernel");
  await writeFile(join(dir, "initrd"), "initrd");
  await addImage(join(dir, "data"), { name: "ramdisk", role: "discovery", release: "test", architecture: "amd64", source: "host-test" }, { kernel: { path: join(dir, "kernel") }, initrd: { path: join(dir, "initrd") } });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await inventory.db.close();
  await rm(dir, { recursive: true, force: true });
});

async function serve(bootUrl?: string): Promise<number> {
  server = await startServer({ inventory, logger: pino({ level: "silent" }), bootListen: { host: "127.0.0.1", port: 0 }, timeoutSweepSeconds: 3600, dataDir: join(dir, "data"), ...(bootUrl ? { boot: { bootUrl } } : {}) });
  return server.addresses.boot.port;
}

/** GET `path` with exactly this Host header (node's fetch would not send most of these). */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, setHost: false, headers: { Host: host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the Host header", () => {
  it("with a space, $, ', # or \\ is a clear 400, not a 500 with a stack trace", async () => {
    const port = await serve();
    for (const host of ["a b", "evil$x", "evil'x", "evil#x", "evil\\x", "${netX/mac}"]) {
      for (const path of ["/boot.ipxe", "/boot/52-54-00-00-00-01.ipxe"]) {
        const answer = await get(port, path, host);
        expect(answer.status, `${path} with Host ${host}`).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "INVALID_ARGUMENT", message: "the Host header is not a host name or address with an optional port" } });
        expect(answer.body).not.toMatch(/at .*\.ts:\d+/);
      }
    }
  });

  it("is never copied into a boot script: the URL is the address the connection arrived on", async () => {
    const port = await serve();
    for (const path of ["/boot.ipxe", "/boot/52-54-00-00-00-02.ipxe"]) {
      const answer = await get(port, path, "attacker.example:8080");
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(`http://127.0.0.1:${port}/`);
      expect(answer.body).not.toContain("attacker");
    }
  });

  it("is never copied into a deploy plan or a seed: with --boot-url they name that URL", async () => {
    const port = await serve("http://192.0.2.1:5248");
    const image = await addOsImage(join(dir, "data"), dir, gz((await makeDiskImage(dir)).raw));
    const { token, nocloudSecret } = await deployingMachine(inventory, image);
    const plan = await get(port, `/deploy/${token}/plan`, "attacker.example");
    expect(plan.status).toBe(200);
    expect(plan.body).toContain(`REPORT_URL=http://192.0.2.1:5248/deploy/${token}/report`);
    expect(plan.body).toContain(`IMAGE_URL=http://192.0.2.1:5248/images/${image.id}/root`);
    const seed = await get(port, `/deploy/${token}/seed`, "attacker.example");
    expect(seed.status).toBe(200);
    expect(seed.body).toContain(`http://192.0.2.1:5248/nocloud/${nocloudSecret}/`);
    expect(plan.body + seed.body).not.toContain("attacker");
  });
});

describe("checkBootBaseUrl", () => {
  it("takes an http(s) URL and refuses anything a boot script could not carry", () => {
    expect(checkBootBaseUrl("http://192.0.2.1:5248/")).toBe("http://192.0.2.1:5248");
    for (const bad of ["ftp://192.0.2.1", "http://a b", "http://x/${y}", "192.0.2.1:5248"]) expect(() => checkBootBaseUrl(bad)).toThrow(/invalid --boot-url/);
  });
});
