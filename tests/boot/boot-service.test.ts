import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { registerBootService } from "../../lib/boot/boot-service.ts";
import { fileAddressWitness } from "../../lib/boot/address-witness.ts";
import { addImage } from "../../lib/images/image-store.ts";
import type { Inventory } from "../../lib/inventory/inventory.ts";
import { machineView } from "../../lib/inventory/machine-view.ts";
import { REDACTED } from "../../lib/power/power-types.ts";
import { forceStatus, memoryInventory } from "../helpers/inventory.ts";

const dataDir = mkdtempSync(join(tmpdir(), "orchestra-boot-service-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const kernelBytes = Buffer.alloc(100_000, 7);
kernelBytes.write("KERNEL", 0);
const src = join(dataDir, "src");
mkdirSync(src);
writeFileSync(join(src, "vmlinuz"), kernelBytes);
writeFileSync(join(src, "initrd"), "initrd bytes");
const discovery = await addImage(dataDir, { name: "discovery", role: "discovery", release: "test", architecture: "amd64", source: "test" }, { kernel: { path: join(src, "vmlinuz") }, initrd: { path: join(src, "initrd") } });

function report(overrides: Record<string, unknown> = {}, macs = ["52:54:00:12:00:01"]): Record<string, unknown> {
  return {
    version: 1,
    mode: "enlist",
    bootMac: macs[0],
    architecture: "amd64",
    firmware: "bios",
    cpus: 2,
    cpuModel: "QEMU Virtual CPU",
    memoryMib: 512,
    interfaces: macs.map((mac, i) => ({ name: `eth${i}`, mac })),
    disks: [{ name: "vda", sizeBytes: 1073741824, model: "", serial: "" }],
    dmi: { vendor: "QEMU", product: "Standard PC", serial: "" },
    bmcAddress: "",
    ...overrides,
  };
}

let app: FastifyInstance;
let inventory: Inventory;

// What the network knows, as the files the address witness reads: dnsmasq's leases and /proc/net/arp.
const leaseFile = join(dataDir, "leases");
const neighbourTable = join(dataDir, "arp");
const ARP_HEADER = "IP address       HW type     Flags       HW address            Mask     Device\n";

async function build(options: { burst?: number; autoAccept?: boolean; leases?: string; neighbours?: string } = {}): Promise<void> {
  writeFileSync(leaseFile, options.leases ?? "");
  writeFileSync(neighbourTable, ARP_HEADER + (options.neighbours ?? ""));
  inventory = await memoryInventory();
  app = Fastify({ logger: false });
  await registerBootService(app, {
    dataDir,
    inventory,
    autoAccept: options.autoAccept,
    enlistRateLimit: { perMinute: options.burst ? 1 : 6000, burst: options.burst ?? 100 },
    enlistBodyLimit: 8 * 1024,
    witness: fileAddressWitness({ leaseFile, neighbourTable }),
  });
}

/** The node token a machine's boot script hands to `remoteAddress` (undefined: none in the script). */
async function scriptToken(mac: string, remoteAddress = "192.0.2.150"): Promise<string | undefined> {
  const script = await app.inject({ url: `/boot/${mac}.ipxe`, remoteAddress });
  return /orchestra\.token=(\S+)/.exec(script.body)?.[1];
}

function enlist(body: unknown, headers: Record<string, string> = { "content-type": "application/json" }, remoteAddress = "192.0.2.150") {
  return app.inject({ method: "POST", url: "/enlist", headers, payload: typeof body === "string" ? body : JSON.stringify(body), remoteAddress });
}

async function snapshot() {
  return JSON.stringify(await inventory.listMachines());
}

beforeEach(async () => {
  await build();
});

describe("the boot scripts over HTTP", () => {
  it("serves the entry script and, for an unknown MAC, the discovery script pointing back at the configured URL, whatever Host the client sent", async () => {
    app = Fastify({ logger: false });
    await registerBootService(app, { dataDir, inventory, bootUrl: "http://192.0.2.1:5248", witness: fileAddressWitness({ leaseFile, neighbourTable }) });
    const entry = await app.inject({ url: "/boot.ipxe", headers: { host: "attacker.example:80" } });
    expect(entry.statusCode).toBe(200);
    expect(entry.body).toContain("chain --autofree http://192.0.2.1:5248/boot/${netX/mac:hexhyp}.ipxe");
    expect(entry.body).not.toContain("attacker");
    const script = await app.inject({ url: "/boot/52-54-00-12-00-09.ipxe", headers: { host: "attacker.example:80" } });
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain(`http://192.0.2.1:5248/images/${discovery.id}/kernel`);
    expect(script.body).not.toContain("attacker");
  });

  it("renders from the machine's state at the moment of the request (a database write, no file to regenerate)", async () => {
    const created = await enlist(report());
    const { systemId } = created.json();
    expect((await app.inject({ url: "/boot/52:54:00:12:00:01.ipxe" })).body).toContain("poweroff");
    await inventory.accept(systemId);
    expect((await app.inject({ url: "/boot/52:54:00:12:00:01.ipxe" })).body).toContain("orchestra.mode=commissioning");
    await forceStatus(inventory, systemId, "deployed");
    expect((await app.inject({ url: "/boot/52:54:00:12:00:01.ipxe" })).body).toContain("exit");
  });

  it("refuses a script name that is not a MAC", async () => {
    const response = await app.inject({ url: "/boot/not-a-mac.ipxe" });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("INVALID_MAC");
  });
});

describe("image files", () => {
  it("serves whole files, byte ranges, HEAD, and refuses unsatisfiable ranges", async () => {
    const whole = await app.inject({ url: `/images/${discovery.id}/kernel` });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(kernelBytes)).toBe(true);
    expect(whole.headers["accept-ranges"]).toBe("bytes");
    const part = await app.inject({ url: `/images/${discovery.id}/kernel`, headers: { range: "bytes=0-5" } });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe("KERNEL");
    expect(part.headers["content-range"]).toBe(`bytes 0-5/${kernelBytes.length}`);
    const head = await app.inject({ method: "HEAD", url: `/images/${discovery.id}/kernel` });
    expect(head.statusCode).toBe(200);
    expect(head.headers["content-length"]).toBe(String(kernelBytes.length));
    expect(head.body).toBe("");
    const beyond = await app.inject({ url: `/images/${discovery.id}/kernel`, headers: { range: `bytes=${kernelBytes.length}-` } });
    expect(beyond.statusCode).toBe(416);
  });

  it("answers 404 for unknown images and files, and never serves outside the image directory", async () => {
    expect((await app.inject({ url: "/images/ami-00000000000000000/kernel" })).statusCode).toBe(404);
    expect((await app.inject({ url: `/images/${discovery.id}/image.json` })).statusCode).toBe(404);
    expect((await app.inject({ url: `/images/..%2F..%2Fetc/kernel` })).statusCode).toBe(404);
  });
});

describe("enlistment", () => {
  it("creates a new machine with the reported hardware for MACs nobody owns", async () => {
    const response = await enlist(report({ firmware: "uefi" }, ["52:54:00:12:00:01", "52:54:00:12:00:02"]));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ status: "new", action: "created" });
    const [machine] = await inventory.listMachines();
    expect(machine).toMatchObject({ status: "new", cpus: 2, memoryMib: 512, architecture: "amd64" });
    expect(machine!.disks).toEqual([{ name: "vda", sizeBytes: 1073741824, model: "", serial: "" }]);
    expect(machine!.interfaces).toEqual([
      { mac: "52:54:00:12:00:01", name: "eth0", boot: true },
      { mac: "52:54:00:12:00:02", name: "eth1", boot: false },
    ]);
    expect(machine!.hardware).toMatchObject({ firmware: "uefi", cpu_model: "QEMU Virtual CPU", dmi_vendor: "QEMU" });
    expect(machine!.power.type).toBe("manual");
  });

  it("a machine that reports its BMC and the user it set up gets ipmi power with them; the password shows nowhere", async () => {
    const password = "Zq81abcDEF234xyz";
    const response = await enlist(report({ bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: password }));
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain(password);
    const machine = await inventory.getMachine(response.json().systemId);
    // Port 623 is implied: none was reported.
    expect(machine.power).toEqual({ type: "ipmi", params: { address: "192.0.2.10", username: "orchestra", password } });
    expect(machine.hardware.bmc_address).toBe("192.0.2.10");
    const view = machineView(machine, inventory.powerTypes);
    expect(view.power.params).toEqual({ address: "192.0.2.10", username: "orchestra", password: REDACTED });
    expect(JSON.stringify(view)).not.toContain(password);
    expect(JSON.stringify(await inventory.events(machine.systemId))).not.toContain(password);
  });

  it("a BMC reported with an address only gives ipmi power at that address, with a port when one is reported", async () => {
    const { systemId } = (await enlist(report({ bmcAddress: "192.0.2.10", bmcPort: 6230 }))).json();
    expect((await inventory.getMachine(systemId)).power).toEqual({ type: "ipmi", params: { address: "192.0.2.10", port: "6230" } });
  });

  it("commissioning replaces the BMC credentials with the ones it set up afresh", async () => {
    const { systemId } = (await enlist(report({ bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: "first-Password-1" }))).json();
    await inventory.accept(systemId);
    const token = await scriptToken("52:54:00:12:00:01");
    await enlist(report({ mode: "commissioning", token, bmcAddress: "192.0.2.10", bmcUsername: "orchestra", bmcPassword: "second-Password-2" }));
    expect(await inventory.getMachine(systemId)).toMatchObject({ status: "ready", power: { type: "ipmi", params: { address: "192.0.2.10", username: "orchestra", password: "second-Password-2" } } });
  });

  it("a commissioning report without credentials leaves the power settings alone", async () => {
    const { systemId } = (await enlist(report())).json();
    await inventory.accept(systemId);
    await enlist(report({ mode: "commissioning", token: await scriptToken("52:54:00:12:00:01"), bmcAddress: "192.0.2.10" }));
    expect(await inventory.getMachine(systemId)).toMatchObject({ status: "ready", power: { type: "manual", params: {} }, hardware: { bmc_address: "192.0.2.10" } });
  });

  it("with auto-accept, a new machine is ready on its report", async () => {
    await build({ autoAccept: true });
    const response = await enlist(report());
    expect(response.statusCode).toBe(201);
    expect(response.json().status).toBe("ready");
    expect((await inventory.events(response.json().systemId)).map((e) => e.to)).toEqual(["new", "commissioning", "ready"]);
  });

  it("a commissioning machine's report refreshes its hardware and makes it ready", async () => {
    const { systemId } = (await enlist(report())).json();
    await inventory.accept(systemId);
    const response = await enlist(report({ mode: "commissioning", token: await scriptToken("52:54:00:12:00:01"), cpus: 4, memoryMib: 2048 }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ systemId, status: "ready", action: "commissioned" });
    expect(await inventory.getMachine(systemId)).toMatchObject({ cpus: 4, memoryMib: 2048, status: "ready" });
  });

  it("two reports racing for the same new MACs make one machine; the loser is refused", async () => {
    const answers = await Promise.all([enlist(report()), enlist(report({ cpus: 8 }))]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    expect((await inventory.listMachines()).length).toBe(1);
  });

  describe("refusals (each changes nothing)", () => {
    it("malformed JSON: 400", async () => {
      const response = await enlist("{not json");
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe("INVALID_ARGUMENT");
      expect(await inventory.listMachines()).toEqual([]);
    });

    it("not JSON at all: 415", async () => {
      const response = await enlist("cpus=4", { "content-type": "application/x-www-form-urlencoded" });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      expect(await inventory.listMachines()).toEqual([]);
    });

    it("oversized: 413", async () => {
      const response = await enlist(report({ cpuModel: "x".repeat(9000) }));
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(await inventory.listMachines()).toEqual([]);
    });

    it.each([
      ["an unknown field", { extra: 1 }, /unknown field/],
      ["a wrong version", { version: 2 }, /version/],
      ["a negative CPU count", { cpus: -1 }, /cpus/],
      ["a fractional memory size", { memoryMib: 1.5 }, /memoryMib/],
      ["an unknown architecture", { architecture: "vax" }, /architecture/],
      ["a boot MAC not among the interfaces", { bootMac: "52:54:00:99:99:99" }, /bootMac/],
      ["a broadcast MAC", { bootMac: "ff:ff:ff:ff:ff:ff", interfaces: [{ name: "eth0", mac: "ff:ff:ff:ff:ff:ff" }] }, /MAC/],
      ["the same MAC twice", { interfaces: [{ name: "eth0", mac: "52:54:00:12:00:01" }, { name: "eth1", mac: "52:54:00:12:00:01" }] }, /repeats/],
      ["no interfaces", { interfaces: [] }, /at least one/],
      ["a control character", { cpuModel: "evil\u0007" }, /printable/],
      ["a disk of size zero", { disks: [{ name: "vda", sizeBytes: 0 }] }, /sizeBytes/],
      ["a bad BMC address", { bmcAddress: "not-an-ip" }, /bmcAddress/],
      ["BMC credentials without a BMC address", { bmcUsername: "orchestra", bmcPassword: "Zq81abcDEF234xyz" }, /bmcAddress/],
      ["a BMC password without its user", { bmcAddress: "192.0.2.10", bmcPassword: "Zq81abcDEF234xyz" }, /bmcUsername/],
      ["a list instead of an object", [1, 2], /must be an object/],
    ])("%s: 400", async (_name, overrides, message) => {
      const body = Array.isArray(overrides) ? overrides : report(overrides as Record<string, unknown>);
      const response = await enlist(body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toMatch(message);
      expect(await inventory.listMachines()).toEqual([]);
    });

    it("a MAC already owned by a machine that is not commissioning: 409, machine unchanged", async () => {
      await enlist(report());
      const before = await snapshot();
      const response = await enlist(report({ cpus: 64, memoryMib: 999_999 }));
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe("ENLISTMENT_REFUSED");
      expect(response.json().error.message).toMatch(/which is new; discovery may only change a machine being commissioned/);
      expect(await snapshot()).toBe(before);
    });

    it("a report claiming MACs of two machines: 409, both unchanged", async () => {
      const a = (await enlist(report({}, ["52:54:00:12:00:01"]))).json().systemId;
      const b = (await enlist(report({}, ["52:54:00:12:00:02"]))).json().systemId;
      await inventory.accept(a);
      await inventory.accept(b);
      const before = await snapshot();
      const token = await scriptToken("52:54:00:12:00:01");
      const response = await enlist(report({ mode: "commissioning", token }, ["52:54:00:12:00:01", "52:54:00:12:00:02"]));
      expect(response.statusCode).toBe(409);
      expect(response.json().error.message).toMatch(/MACs of 2 different machines/);
      expect(await snapshot()).toBe(before);
    });

    it("a commissioning machine's report naming an interface it does not have: 409, unchanged", async () => {
      const { systemId } = (await enlist(report())).json();
      await inventory.accept(systemId);
      const token = await scriptToken("52:54:00:12:00:01");
      const before = await snapshot();
      const response = await enlist(report({ mode: "commissioning", token }, ["52:54:00:12:00:01", "52:54:00:12:00:03"]));
      expect(response.statusCode).toBe(409);
      expect(response.json().error.message).toMatch(/does not have/);
      expect(await snapshot()).toBe(before);
    });

    it("a row of new machines powering on at once, each from its own address, passes the default global limits: 1,000 scripts and 400 reports", async () => {
      await build();
      const address = (i: number) => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${(i & 0xff) + 1}`;
      const mac = (i: number) => `52:54:05:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
      const scripts = await Promise.all(Array.from({ length: 1000 }, (_, i) => app.inject({ url: `/boot/${mac(i)}.ipxe`, remoteAddress: address(i) })));
      expect(scripts.filter((r) => r.statusCode !== 200).map((r) => r.statusCode)).toEqual([]);
      const reports = await Promise.all(Array.from({ length: 400 }, (_, i) => enlist(report({}, [mac(i)]), undefined, address(i))));
      expect(reports.filter((r) => r.statusCode !== 201).map((r) => r.statusCode)).toEqual([]);
      expect((await inventory.listMachines()).length).toBe(400);
    }, 60_000);

    it("too many reports from one source: 429, before the body is looked at", async () => {
      await build({ burst: 2 });
      expect((await enlist(report({}, ["52:54:00:12:00:01"]))).statusCode).toBe(201);
      expect((await enlist(report({}, ["52:54:00:12:00:02"]))).statusCode).toBe(201);
      const limited = await enlist(report({}, ["52:54:00:12:00:03"]));
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe("RATE_LIMITED");
      expect((await enlist(report({}, ["52:54:00:12:00:04"]), undefined, "192.0.2.151")).statusCode).toBe(201);
      expect((await inventory.listMachines()).length).toBe(3);
    });
  });
});
