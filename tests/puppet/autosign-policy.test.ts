/**
 * Policy-based autosigning: a CSR made by OpenSSL (as the puppet agent makes one, with
 * csr_attributes.yaml's challengePassword) is signed only with a fresh challenge Orchestra
 * issued to that open instance. The last case runs the rendered policy script through
 * /bin/sh and the real CLI, exactly as puppetserver calls it (certname argument, CSR on stdin).
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { issueNodeCredentialWithin, type NodeCredential } from "../../lib/pki/node-credentials.ts";
import { loadOrCreateSiteCa } from "../../lib/pki/site-ca.ts";
import { decideAutosign } from "../../lib/puppet/autosign-policy.ts";
import { renderAutosignScript } from "../../lib/puppet/autosign-script.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addReadyMachines, tempDataDir } from "../helpers/inventory.ts";

const data = tempDataDir();
let inventory: Inventory;
let a: NodeCredential;
let b: NodeCredential;
let systemIdA: string;

/** A CSR for `cn`, with `challenge` as its challengePassword attribute when given. */
async function csr(cn: string, challenge?: string): Promise<string> {
  const config = join(data.dir, `req-${Math.random().toString(16).slice(2)}.cnf`);
  writeFileSync(config, ["[req]", "prompt = no", "distinguished_name = dn", ...(challenge ? ["attributes = attrs"] : []), "[dn]", `CN = ${cn}`, "[attrs]", ...(challenge ? [`challengePassword = ${challenge}`] : []), ""].join("\n"));
  const r = await execa("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "/dev/null", "-config", config]);
  return r.stdout;
}

beforeAll(async () => {
  inventory = new Inventory(await openStore(data.dir));
  const ca = await loadOrCreateSiteCa(data.dir);
  await addReadyMachines(inventory, 2);
  const first = await inventory.allocate({}, "acct-a");
  const second = await inventory.allocate({}, "acct-b");
  systemIdA = first.machine.systemId;
  a = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: first.instance.instanceId, hostname: "node-a" }));
  b = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: second.instance.instanceId, hostname: "node-b" }));
});
afterAll(async () => {
  await inventory.db.close();
  data.cleanup();
});

describe("the autosign policy", () => {
  it("does not sign a wrong challenge, another instance's challenge, no challenge, or a CSR for another name", async () => {
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(a.instanceId, "x".repeat(32)))).toEqual({ sign: false, reason: "wrong-challenge" });
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(a.instanceId, b.challenge))).toEqual({ sign: false, reason: "wrong-challenge" });
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(a.instanceId))).toEqual({ sign: false, reason: "no-challenge" });
    // puppetserver names the certname; a CSR whose CN differs is refused whatever it carries.
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(b.instanceId, a.challenge))).toEqual({ sign: false, reason: "name-mismatch" });
    expect(await decideAutosign(inventory.db, "i-00000000000000000", await csr("i-00000000000000000", a.challenge))).toEqual({ sign: false, reason: "unknown-instance" });
    expect(await decideAutosign(inventory.db, a.instanceId, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")).toEqual({ sign: false, reason: "malformed-csr" });
  });

  it("signs the instance's own challenge once; a reused challenge is not signed", async () => {
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(a.instanceId, a.challenge))).toEqual({ sign: true, reason: "signed" });
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(a.instanceId, a.challenge))).toEqual({ sign: false, reason: "challenge-used" });
  });

  it("runs as puppetserver calls it: the rendered script, the certname argument, the CSR on stdin; exit 0 once, then not", async () => {
    const script = join(data.dir, "autosign");
    const main = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
    writeFileSync(script, renderAutosignScript({ orchestra: [process.execPath, main], dataDir: data.dir }));
    chmodSync(script, 0o755);
    const request = await csr(b.instanceId, b.challenge);
    const first = await execa(script, [b.instanceId], { input: request, reject: false });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain("signed");
    const again = await execa(script, [b.instanceId], { input: request, reject: false });
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toContain("challenge-used");
  });

  it("answers over HTTP for a puppetserver that cannot open the store, and only to loopback", async () => {
    const { default: Fastify } = await import("fastify");
    const { autosignRoute, AUTOSIGN_PATH } = await import("../../lib/puppet/autosign-route.ts");
    const ca = await loadOrCreateSiteCa(data.dir);
    const fresh = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: b.instanceId, hostname: "node-b" }));
    const app = Fastify({ logger: false });
    await app.register(autosignRoute, { db: inventory.db });
    const request = await csr(b.instanceId, fresh.challenge);
    const post = (remoteAddress: string) => app.inject({ method: "POST", url: `${AUTOSIGN_PATH}/${b.instanceId}`, headers: { "content-type": "application/x-pem-file" }, payload: request, remoteAddress });
    expect((await post("192.0.2.50")).statusCode).toBe(403);
    const signed = await post("127.0.0.1");
    expect(signed.statusCode, signed.body).toBe(200);
    expect(signed.json()).toEqual({ sign: true, reason: "signed" });
    expect((await post("127.0.0.1")).json()).toEqual({ sign: false, reason: "challenge-used" });
    await app.close();
  });

  it("refuses an unspent challenge once its instance is terminated", async () => {
    const ca = await loadOrCreateSiteCa(data.dir);
    const fresh = await inventory.db.transaction((tx) => issueNodeCredentialWithin(tx, ca, { instanceId: a.instanceId, hostname: "node-a" }));
    await inventory.release(systemIdA);
    expect(await decideAutosign(inventory.db, a.instanceId, await csr(a.instanceId, fresh.challenge))).toEqual({ sign: false, reason: "instance-ended" });
  });
});
