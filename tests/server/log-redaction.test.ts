/**
 * Secrets in URL paths never reach the log. A real `orchestra serve` writes its log (at
 * trace, the most it says) to a file; the test creates a deployment (deploy token, NoCloud
 * secret), an erasure (erase token) and an EC2 access key, hits the secret-bearing routes
 * right and wrong (trailing slash, extra segment, wrong method, wrong case, doubled slash,
 * no file), then greps the whole log for every secret it created.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, describe, expect, it } from "vitest";
import { newDeployToken } from "../../lib/deploy/deploy-token.ts";
import { insertErasure } from "../../lib/deploy/erasure-rows.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { REDACTED_SEGMENT, redactSecretPaths } from "../../lib/server/log-redaction.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { addOsImage, deployingMachine } from "../deploy/deploy-fixture.ts";
import { orchestra } from "../helpers/cli.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { forceStatus, nextMac } from "../helpers/inventory.ts";

const MAIN = resolve(import.meta.dirname, "../../lib/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "orchestra-log-redaction-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("redactSecretPaths", () => {
  it("blanks the segment after each secret-bearing prefix, however the path is bent", () => {
    expect(redactSecretPaths("GET /nocloud/Zx9_-a/user-data/")).toBe(`GET /nocloud/${REDACTED_SEGMENT}/user-data/`);
    expect(redactSecretPaths('{"url":"/deploy/tok123"}')).toBe(`{"url":"/deploy/${REDACTED_SEGMENT}"}`);
    expect(redactSecretPaths("/ERASE//tok?status=x")).toBe(`/ERASE//${REDACTED_SEGMENT}?status=x`);
    expect(redactSecretPaths("Route POST:/nocloud/s3cret/meta-data not found")).toBe(`Route POST:/nocloud/${REDACTED_SEGMENT}/meta-data not found`);
    expect(redactSecretPaths("/boot/52-54-00-12-34-56.ipxe /images/deploy-amd64/kernel /deployer/x")).toBe("/boot/52-54-00-12-34-56.ipxe /images/deploy-amd64/kernel /deployer/x");
    expect(redactSecretPaths("/deploy/a /erase/b /nocloud/c")).toBe(`/deploy/${REDACTED_SEGMENT} /erase/${REDACTED_SEGMENT} /nocloud/${REDACTED_SEGMENT}`);
  });
});

describe("the log of orchestra serve", () => {
  it("holds none of the secrets, whatever route a request hits or misses", async () => {
    const dataDir = join(dir, "data");
    const inventory = new Inventory(await openStore(dataDir));
    const image = await addOsImage(dataDir, dir, Buffer.from("not really a disk image"));
    const deployment = await deployingMachine(inventory, image);
    const erasing = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(inventory, erasing.systemId, "disk_erasing");
    const eraseToken = newDeployToken();
    const machine = await inventory.getMachine(erasing.systemId);
    await inventory.db.transaction((tx) => insertErasure(tx, { systemId: machine.systemId, token: eraseToken, enteredAt: machine.statusChangedAt, mode: "quick" }, new Date().toISOString()));
    await inventory.db.close();
    const created = await orchestra(["--data-dir", dataDir, "credentials", "create", "--account", "logged", "--json"]);
    const key = JSON.parse(created.stdout) as { accessKeyId: string; secretAccessKey: string };
    const secrets = { deployToken: deployment.token, nocloudSecret: deployment.nocloudSecret, eraseToken, secretAccessKey: key.secretAccessKey };

    const [bootPort, apiPort] = [await freeTcpPort(), await freeTcpPort()];
    const logFile = join(dir, "serve.log");
    const log = openSync(logFile, "w");
    const child = spawn(process.execPath, [MAIN, "--data-dir", dataDir, "serve", "--boot-listen", `127.0.0.1:${bootPort}`, "--api-listen", `127.0.0.1:${apiPort}`, "--log-level", "trace"], { stdio: ["ignore", "ignore", log] });
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    try {
      const boot = `http://127.0.0.1:${bootPort}`;
      for (let i = 0; i < 150 && !(await fetch(`${boot}/healthz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      const { deployToken: t, nocloudSecret: n, eraseToken: e } = secrets;
      const requests: [string, string][] = [
        // The routes as they are meant to be used.
        ["GET", `/deploy/${t}/plan`],
        ["GET", `/deploy/${t}/seed`],
        ["GET", `/nocloud/${n}/meta-data`],
        ["GET", `/nocloud/${n}/user-data`],
        // Near misses: each lands in the access log or a not-found line.
        ["GET", `/nocloud/${n}/user-data/`],
        ["GET", `/nocloud/${n}/`],
        ["GET", `/nocloud/${n}`],
        ["POST", `/nocloud/${n}/meta-data`],
        ["GET", `/NoCloud/${n}/meta-data`],
        ["GET", `/nocloud//${n}/meta-data`],
        ["GET", `/deploy/${t}/plan/extra`],
        ["GET", `/deploy/${t}/report`],
        ["PUT", `/deploy/${t}/booted`],
        ["GET", `/deploy/${t}?x=1`],
        ["GET", `/erase/${e}/report`],
        ["DELETE", `/erase/${e}/report`],
        ["POST", `/erase/${e}/report/`],
        ["POST", `/erase/${e}/report?status=bogus`],
      ];
      const statuses: number[] = [];
      for (const [method, path] of requests) statuses.push((await fetch(`${boot}${path}`, { method, ...(method === "POST" || method === "PUT" ? { body: "" } : {}) })).status);
      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
      expect(statuses.slice(4).some((s) => s === 404)).toBe(true);
      // The EC2 side: a signed call, and one with the secret as a (wrong) access key id.
      const client = new EC2Client({ endpoint: `http://127.0.0.1:${apiPort}`, region: "orchestra", credentials: key, maxAttempts: 1 });
      await client.send(new DescribeInstancesCommand({}));
      client.destroy();
      await fetch(`http://127.0.0.1:${apiPort}/${secrets.secretAccessKey}/x`);
    } finally {
      child.kill("SIGTERM");
      await exited;
      closeSync(log);
    }
    const text = readFileSync(logFile, "utf8");
    // The requests were logged (so the check below is about something)...
    expect(text.match(/"msg":"request"/g)?.length ?? 0).toBeGreaterThan(10);
    expect(text).toContain(REDACTED_SEGMENT);
    // ...and no secret is in the log, in any line.
    for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), `${name} is in the log`).toBe(false);
  }, 120_000);
});
