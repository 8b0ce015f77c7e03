/**
 * The boot path's node tokens, attacked as issue 11 found them open: an attacker on the
 * provisioning network who knows a machine's MAC (DescribeInstances, metadata and the wire
 * all show it) asks for its boot script from another address, shows a token it sniffed from
 * another address, forges deploy, erase and commissioning reports, and scans unknown MACs.
 * Each attack is written as it was tried; the real node's calls still work.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileAddressWitness } from "../../lib/boot/address-witness.ts";
import { registerBootService } from "../../lib/boot/boot-service.ts";
import { deploymentOf } from "../../lib/deploy/deployment-rows.ts";
import { erasureOf, insertErasure } from "../../lib/deploy/erasure-rows.ts";
import { newDeployToken } from "../../lib/deploy/deploy-token.ts";
import { addImage } from "../../lib/images/image-store.ts";
import type { Inventory } from "../../lib/inventory/inventory.ts";
import { metadataService } from "../../lib/metadata/metadata-service.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage } from "../deploy/deploy-fixture.ts";
import { forceStatus, memoryInventory, nextMac } from "../helpers/inventory.ts";

const NODE = "192.0.2.50";
const ATTACKER = "192.0.2.66";
const ARP_HEADER = "IP address       HW type     Flags       HW address            Mask     Device\n";

let dir: string;
let dataDir: string;
let inventory: Inventory;
let app: FastifyInstance;
let leaseFile: string;
let neighbourTable: string;

async function build(limits: { unknownBurst?: number; unknownGlobalBurst?: number; enlistGlobalBurst?: number } = {}) {
  app = Fastify({ logger: false });
  await registerBootService(app, {
    dataDir,
    inventory,
    bootUrl: "http://192.0.2.1:5248",
    witness: fileAddressWitness({ leaseFile, neighbourTable }),
    enlistRateLimit: { perMinute: 6000, burst: 1000 },
    enlistGlobalRateLimit: { perMinute: 1, burst: limits.enlistGlobalBurst ?? 1000 },
    unknownMacRateLimit: { perMinute: 1, burst: limits.unknownBurst ?? 1000 },
    unknownMacGlobalRateLimit: { perMinute: 1, burst: limits.unknownGlobalBurst ?? 1000 },
  });
  await app.register(metadataService, { source: new StoreMetadataSource(inventory.db), requireToken: false });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchestra-node-token-"));
  dataDir = join(dir, "data");
  leaseFile = join(dir, "leases");
  neighbourTable = join(dir, "arp");
  await writeFile(leaseFile, "");
  await writeFile(neighbourTable, ARP_HEADER);
  inventory = await memoryInventory();
  await writeFile(join(dir, "kernel"), "kernel");
  await writeFile(join(dir, "initrd"), "initrd");
  await addImage(dataDir, { name: "ramdisk", role: "discovery", release: "test", architecture: "amd64", source: "node-token-test" }, { kernel: { path: join(dir, "kernel") }, initrd: { path: join(dir, "initrd") } });
  await build();
});
afterEach(async () => {
  await app.close();
  await inventory.db.close();
  await rm(dir, { recursive: true, force: true });
});

const script = (mac: string, remoteAddress: string) => app.inject({ url: `/boot/${mac.replaceAll(":", "-")}.ipxe`, remoteAddress });
const tokenIn = (body: string) => /orchestra\.token=(\S+)/.exec(body)?.[1];
const post = (url: string, remoteAddress: string, payload = "", type = "text/plain") => app.inject({ method: "POST", url, remoteAddress, headers: { "content-type": type }, payload });

/** A machine deploying an instance (with user-data and a NoCloud secret), as RunInstances leaves it. */
async function deploying() {
  const image = await addOsImage(dataDir, dir, gz((await makeDiskImage(dir)).raw));
  const deployment = await deployingMachine(inventory, image);
  const mac = (await inventory.getMachine(deployment.systemId)).interfaces[0]!.mac;
  return { ...deployment, mac };
}

describe("deployment takeover by MAC", () => {
  it("with Orchestra's DHCP lease known, the deploy script carries the token only to the leased address", async () => {
    const { mac, token } = await deploying();
    await writeFile(leaseFile, `${Math.floor(Date.now() / 1000) + 3600} ${mac} ${NODE} node 01:${mac}\n`);
    const stolen = await script(mac, ATTACKER);
    expect(stolen.statusCode).toBe(200);
    expect(stolen.body).not.toContain(token);
    expect(stolen.body).not.toContain("orchestra.token=");
    expect(stolen.body).toContain("only for that machine's own address");
    expect(tokenIn((await script(mac, NODE)).body)).toBe(token);
  });

  it("the neighbour table contradicting the address (another MAC answers ARP for it) gets no token either", async () => {
    const { mac, token } = await deploying();
    await writeFile(neighbourTable, `${ARP_HEADER}${ATTACKER}      0x1         0x2         02:00:00:00:00:66     *        br0\n${NODE}      0x1         0x2         ${mac}     *        br0\n`);
    expect((await script(mac, ATTACKER)).body).not.toContain(token);
    expect(tokenIn((await script(mac, NODE)).body)).toBe(token);
  });

  it("where the network cannot tell (proxy DHCP, routed), the token goes to the first address only and is bound there", async () => {
    const { mac, token } = await deploying();
    expect(tokenIn((await script(mac, NODE)).body)).toBe(token);
    expect((await script(mac, ATTACKER)).body).not.toContain(token);
    expect(tokenIn((await script(mac, NODE)).body)).toBe(token);
    expect(await deploymentOf(inventory.db, (await inventory.findMachineByMac(mac))!.systemId)).toMatchObject({ boundAddress: NODE });
  });

  it("a token sniffed off the wire is refused from any other address: no seed, no plan, no forged failure, no forged boot", async () => {
    const { mac, token, systemId, instanceId, nocloudSecret } = await deploying();
    await script(mac, NODE);
    expect((await app.inject({ url: `/deploy/${token}/plan`, remoteAddress: NODE })).statusCode).toBe(200);
    const before = await deploymentOf(inventory.db, systemId);

    const seed = await app.inject({ url: `/deploy/${token}/seed`, remoteAddress: ATTACKER });
    expect(seed.statusCode).toBe(403);
    expect(seed.json().error.code).toBe("TOKEN_ADDRESS_MISMATCH");
    expect(seed.body).not.toContain(nocloudSecret);
    expect((await app.inject({ url: `/deploy/${token}/plan`, remoteAddress: ATTACKER })).statusCode).toBe(403);
    expect((await post(`/deploy/${token}/report?status=failure`, ATTACKER, "disk on fire\nforged")).statusCode).toBe(403);
    expect((await post(`/deploy/${token}/progress`, ATTACKER, "bytes=1", "application/x-www-form-urlencoded")).statusCode).toBe(403);
    expect((await post(`/deploy/${token}/booted`, ATTACKER, `instance_id=${instanceId}`, "application/x-www-form-urlencoded")).statusCode).toBe(403);

    expect(await deploymentOf(inventory.db, systemId)).toEqual(before);
    expect((await inventory.getMachine(systemId)).status).toBe("deploying");
    expect(await new StoreMetadataSource(inventory.db).addressOf(instanceId)).toBeNull();

    // The real node's calls still work from its address.
    const realSeed = await app.inject({ url: `/deploy/${token}/seed`, remoteAddress: NODE });
    expect(realSeed.statusCode).toBe(200);
    expect(realSeed.body).toContain(`http://192.0.2.1:5248/nocloud/${nocloudSecret}/`);
  });

  it("the seed is handed out only while the image is written: after the success report it is gone", async () => {
    const { mac, token } = await deploying();
    await script(mac, NODE);
    expect((await app.inject({ url: `/deploy/${token}/plan`, remoteAddress: NODE })).statusCode).toBe(200);
    expect((await post(`/deploy/${token}/report?status=success`, NODE, "written\n")).statusCode).toBe(200);
    const late = await app.inject({ url: `/deploy/${token}/seed`, remoteAddress: NODE });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe("DEPLOYMENT_NOT_ACTIVE");
  });

  it("the NoCloud secret answers only the first address that uses it; the deployed system's boot counts from there", async () => {
    const { mac, token, systemId, instanceId, nocloudSecret } = await deploying();
    await script(mac, NODE);
    await app.inject({ url: `/deploy/${token}/plan`, remoteAddress: NODE });
    await post(`/deploy/${token}/report?status=success`, NODE, "written\n");
    // The deployed system leases another address than its ramdisk had.
    const DEPLOYED = "192.0.2.51";
    const userData = await app.inject({ url: `/nocloud/${nocloudSecret}/user-data`, remoteAddress: DEPLOYED });
    expect(userData.statusCode).toBe(200);
    expect(userData.body).toContain("echo hello");
    const stolen = await app.inject({ url: `/nocloud/${nocloudSecret}/user-data`, remoteAddress: ATTACKER });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.body).not.toContain("echo hello");
    expect((await post(`/deploy/${token}/booted`, ATTACKER, `instance_id=${instanceId}`, "application/x-www-form-urlencoded")).statusCode).toBe(403);
    const booted = await post(`/deploy/${token}/booted`, DEPLOYED, `instance_id=${instanceId}`, "application/x-www-form-urlencoded");
    expect(booted.statusCode).toBe(200);
    expect((await inventory.getMachine(systemId)).status).toBe("deployed");
    expect(await new StoreMetadataSource(inventory.db).addressOf(instanceId)).toBe(DEPLOYED);
  });
});

describe("erasure takeover by MAC", () => {
  async function erasing() {
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "manual" } });
    await forceStatus(inventory, machine.systemId, "disk_erasing");
    const entered = await inventory.getMachine(machine.systemId);
    const token = newDeployToken();
    await inventory.db.transaction((tx) => insertErasure(tx, { systemId: machine.systemId, token, enteredAt: entered.statusChangedAt, mode: "quick" }, new Date().toISOString()));
    return { systemId: machine.systemId, mac: machine.interfaces[0]!.mac, token };
  }

  it("a forged 'erased' report from another address does not put an unerased machine back in the pool", async () => {
    const { systemId, mac, token } = await erasing();
    expect(tokenIn((await script(mac, NODE)).body)).toBe(token);
    expect((await script(mac, ATTACKER)).body).not.toContain(token);
    const forged = await post(`/erase/${token}/report?status=success`, ATTACKER, "disks erased\n");
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe("TOKEN_ADDRESS_MISMATCH");
    expect((await inventory.getMachine(systemId)).status).toBe("disk_erasing");
    expect(await erasureOf(inventory.db, systemId)).toMatchObject({ phase: "planned" });
    expect((await post(`/erase/${token}/report?status=success`, NODE, "disks erased\n")).statusCode).toBe(200);
    expect((await inventory.getMachine(systemId)).status).toBe("ready");
  });
});

describe("commissioning reports (finding 3)", () => {
  function report(mac: string, overrides: Record<string, unknown> = {}) {
    return {
      version: 1,
      mode: "commissioning",
      bootMac: mac,
      architecture: "amd64",
      firmware: "bios",
      cpus: 2,
      cpuModel: "QEMU Virtual CPU",
      memoryMib: 512,
      interfaces: [{ name: "eth0", mac }],
      disks: [{ name: "vda", sizeBytes: 1073741824, model: "", serial: "" }],
      dmi: { vendor: "QEMU", product: "Standard PC", serial: "" },
      bmcAddress: "",
      ...overrides,
    };
  }
  const enlist = (body: unknown, remoteAddress: string) => app.inject({ method: "POST", url: "/enlist", remoteAddress, headers: { "content-type": "application/json" }, payload: JSON.stringify(body) });

  async function commissioning() {
    const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 512, power: { type: "ipmi", params: { address: "192.0.2.200", username: "admin", password: "real-Password-1" } } });
    await inventory.accept(machine.systemId);
    return { systemId: machine.systemId, mac: machine.interfaces[0]!.mac };
  }

  const forged = (mac: string, token?: string) =>
    report(mac, { cpus: 4096, disks: [{ name: "vda", sizeBytes: 2 ** 50, model: "", serial: "" }], bmcAddress: "198.51.100.9", bmcUsername: "evil", bmcPassword: "evil-Password-1", ...(token ? { token } : {}) });

  it("a report naming a commissioning machine's MAC without its token, from any address, changes nothing", async () => {
    const { systemId, mac } = await commissioning();
    await script(mac, NODE);
    const before = JSON.stringify(await inventory.getMachine(systemId));
    for (const from of [ATTACKER, NODE]) {
      const response = await enlist(forged(mac), from);
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe("COMMISSIONING_TOKEN_REQUIRED");
    }
    const wrong = await enlist(forged(mac, newDeployToken()), NODE);
    expect(wrong.statusCode).toBe(403);
    expect(JSON.stringify(await inventory.getMachine(systemId))).toBe(before);
  });

  it("the commissioning token sniffed and shown from another address changes nothing; the ramdisk's own report still counts", async () => {
    const { systemId, mac } = await commissioning();
    const token = tokenIn((await script(mac, NODE)).body);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await script(mac, ATTACKER)).body).not.toContain(token);
    const before = JSON.stringify(await inventory.getMachine(systemId));
    const response = await enlist(forged(mac, token), ATTACKER);
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe("TOKEN_ADDRESS_MISMATCH");
    const after = await inventory.getMachine(systemId);
    expect(JSON.stringify(after)).toBe(before);
    expect(after.status).toBe("commissioning");
    expect(after.power.params.address).toBe("192.0.2.200");

    const real = await enlist(report(mac, { token, cpus: 2 }), NODE);
    expect(real.statusCode).toBe(200);
    expect((await inventory.getMachine(systemId)).status).toBe("ready");
    // Its token died with the commissioning it was for.
    await inventory.transition(systemId, "commissioning", "commission again");
    expect((await enlist(report(mac, { token }), NODE)).statusCode).toBe(403);
  });

  it("BMC addresses no BMC can have are refused with a clear error", async () => {
    for (const bmcAddress of ["127.0.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", "240.0.0.1", "169.254.1.1"]) {
      const response = await enlist(report(nextMac(), { mode: "enlist", bmcAddress }), ATTACKER);
      expect(response.statusCode, bmcAddress).toBe(400);
      expect(response.json().error).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect(response.json().error.message).toMatch(/^discovery report: bmcAddress is (a|an|the) [a-z0-9 ./()-]+ address, which no BMC can be reached at/);
    }
    expect(await inventory.listMachines()).toEqual([]);
  });

  it("a flood of enlistments from many source addresses is cut by the overall limit", async () => {
    await build({ enlistGlobalBurst: 3 });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await enlist(report(nextMac(), { mode: "enlist" }), `198.51.100.${i + 1}`)).statusCode);
    expect(answers).toEqual([201, 201, 201, 429, 429]);
  });
});

describe("scanning unknown MACs", () => {
  it("is rate-limited per source address", async () => {
    await build({ unknownBurst: 3 });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await script(nextMac(), ATTACKER)).statusCode);
    expect(answers).toEqual([200, 200, 200, 429, 429]);
    expect((await script(nextMac(), NODE)).statusCode).toBe(200);
  });

  it("and overall, so many source addresses do not get around it", async () => {
    await build({ unknownGlobalBurst: 4 });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await script(nextMac(), `198.51.100.${i + 1}`)).statusCode);
    expect(answers).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it("a known machine's script is never held back by the scan limit", async () => {
    await build({ unknownBurst: 1 });
    const { mac } = await deploying();
    await script(nextMac(), ATTACKER);
    expect((await script(nextMac(), ATTACKER)).statusCode).toBe(429);
    expect((await script(mac, ATTACKER)).statusCode).toBe(200);
  });
});
