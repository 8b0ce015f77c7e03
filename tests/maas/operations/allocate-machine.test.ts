/**
 * `machines allocate` with MAAS's constraints: each one narrows the choice, the cheapest fit
 * wins, nothing-fits is MAAS's 409 with a message, malformed constraints are 400 naming the
 * parameter, and no refusal changes anything.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { nextMac } from "../../helpers/inventory.ts";
import { maasSnapshot, startMaasHarness, type MaasCaller, type MaasHarness } from "../helpers/maas-harness.ts";

let harness: MaasHarness;
let maas: MaasCaller;
const ids: Record<string, string> = {};

beforeAll(async () => {
  harness = await startMaasHarness();
  maas = await harness.maas("juju");
  const { inventory } = harness.services;
  const specs = {
    small: { cpus: 2, memoryMib: 2048, disks: [50], zone: "default", tags: [], architecture: "amd64", nics: 1 },
    big: { cpus: 16, memoryMib: 65536, disks: [500, 1000], zone: "default", tags: ["gpu"], architecture: "amd64", nics: 2 },
    rack2: { cpus: 4, memoryMib: 8192, disks: [100], zone: "rack2", tags: ["db"], architecture: "amd64", nics: 2 },
    arm: { cpus: 8, memoryMib: 16384, disks: [200], zone: "default", tags: ["db"], architecture: "arm64", nics: 1 },
  };
  for (const [name, s] of Object.entries(specs)) {
    const machine = await inventory.addMachine({
      hostname: name,
      cpus: s.cpus,
      memoryMib: s.memoryMib,
      architecture: s.architecture,
      disks: s.disks.map((gb, i) => ({ name: `sd${"abc"[i]}`, sizeBytes: gb * 1e9 })),
      interfaces: Array.from({ length: s.nics }, (_, i) => ({ mac: nextMac(), name: `eno${i + 1}` })),
      zone: s.zone,
      tags: s.tags,
      power: { type: "fake" },
    });
    await inventory.accept(machine.systemId);
    ids[name] = machine.systemId;
  }
});
afterAll(() => harness.close());
// Each case starts with every machine Ready again.
beforeEach(async () => {
  for (const m of await harness.services.inventory.listMachines()) if (m.status !== "ready") await harness.services.inventory.release(m.systemId);
});

async function allocate(form: Record<string, string | string[]>): Promise<string> {
  const answer = await maas.post("machines/", "allocate", form);
  expect(answer.status, answer.text).toBe(200);
  return answer.json.hostname;
}

describe("allocate constraints", () => {
  it("gives the cheapest fit for each constraint MAAS defines", async () => {
    expect(await allocate({})).toBe("small");
    await harness.services.inventory.release(ids.small!);
    expect(await allocate({ arch: "arm64/generic" })).toBe("arm");
    expect(await allocate({ cpu_count: "3" })).toBe("rack2");
    expect(await allocate({ mem: "10000" })).toBe("big");
  });

  it("takes tags, not_tags, zone, not_in_zone, storage and interfaces", async () => {
    expect(await allocate({ tags: "db", not_tags: "gpu", arch: "amd64" })).toBe("rack2");
    expect(await allocate({ tags: "db" })).toBe("arm");
    await harness.services.inventory.release(ids.rack2!);
    await harness.services.inventory.release(ids.arm!);
    expect(await allocate({ zone: "rack2" })).toBe("rack2");
    // rack2's one machine is taken now: outside the default zone nothing is left.
    expect((await maas.post("machines/", "allocate", { not_in_zone: "default" })).status).toBe(409);
  });

  it("matches storage and interfaces and says which disk and interface met each label", async () => {
    const answer = await maas.post("machines/", "allocate", { storage: "root:400,data:900", interfaces: "a:space=space-0;b:space=space-0" });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.hostname).toBe("big");
    const disks = answer.json.physicalblockdevice_set as { id: number; name: string }[];
    const nics = answer.json.interface_set as { id: number; name: string }[];
    expect(answer.json.constraints_by_type).toEqual({
      storage: { root: [disks.find((d) => d.name === "sda")!.id], data: [disks.find((d) => d.name === "sdb")!.id] },
      interfaces: { a: [nics[0]!.id], b: [nics[1]!.id] },
    });
  });

  it("answers 409 with MAAS's message when nothing meets the constraints, changing nothing", async () => {
    const before = await maasSnapshot(harness.services);
    for (const form of [{ cpu_count: "64" }, { tags: "gpu", zone: "rack2" }, { storage: "root:2000" }, { interfaces: "a:space=elsewhere" }, { not_tags: "gpu", mem: "60000" }, { storage: "root:10(ssd)" }] as Record<string, string>[]) {
      const refused = await maas.post("machines/", "allocate", form);
      expect([form, refused.status]).toEqual([form, 409]);
      expect(refused.text).toMatch(/^No available machine matches constraints: \[\('/);
    }
    expect(await maasSnapshot(harness.services)).toBe(before);
  });

  it("answers 400 naming the parameter for malformed constraints, changing nothing", async () => {
    const before = await maasSnapshot(harness.services);
    const cases: [Record<string, string>, string][] = [
      [{ cpu_count: "many" }, "cpu_count"],
      [{ mem: "-1" }, "mem"],
      [{ arch: "sparc" }, "arch"],
      [{ zone: "nowhere" }, "zone"],
      [{ pool: "other" }, "pool"],
      [{ tags: "no-such-tag" }, "tags"],
      [{ storage: "root:big" }, "storage"],
      [{ interfaces: "eth0" }, "interfaces"],
      [{ fabrics: "fabric-0" }, "fabrics"],
      [{ colour: "blue" }, "colour"],
    ];
    for (const [form, parameter] of cases) {
      const refused = await maas.post("machines/", "allocate", form);
      expect([form, refused.status]).toEqual([form, 400]);
      expect(refused.contentType).toMatch(/^application\/json/);
      expect(Object.keys(refused.json)).toEqual([parameter]);
      expect(refused.json[parameter][0]).toEqual(expect.any(String));
    }
    expect(await maasSnapshot(harness.services)).toBe(before);
  });
});
