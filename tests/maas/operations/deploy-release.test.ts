/**
 * deploy, set_owner_data, power_on/power_off, release and the machine reads with their
 * filters. A deploy is the deployment RunInstances makes: a real machine gets a deployment
 * row and the metadata record with its user-data in one transaction; a fake one is Deployed
 * at once. Deploying what the caller does not own is refused and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentOf } from "../../../lib/deploy/deployment-rows.ts";
import { catalogueImages, type MaasImage } from "../../../lib/maas/model/boot-resources.ts";
import { nextMac } from "../../helpers/inventory.ts";
import { maasSnapshot, startMaasHarness, type MaasCaller, type MaasHarness } from "../helpers/maas-harness.ts";

/** A deployable image standing in for one in the image store (only its id and flag are used). */
const STORE_IMAGE: MaasImage = { imageId: "ami-0123456789abcdef0", osystem: "debian", series: "bookworm", architecture: "amd64", deployable: true };
/** An image that needs more memory (512 GiB) than the real machine has (256 GiB). */
const GREEDY_IMAGE: MaasImage = { imageId: "ami-0123456789abcdef1", osystem: "debian", series: "trixie", architecture: "amd64", deployable: true, minDiskBytes: 4 * 1024 ** 3, minMemoryMib: 524_288 };

let harness: MaasHarness;
let maas: MaasCaller;
let realId: string;

beforeAll(async () => {
  harness = await startMaasHarness({ images: async () => [STORE_IMAGE, ...catalogueImages(), GREEDY_IMAGE] });
  maas = await harness.maas("juju");
  await harness.addMachines(2, { tags: ["fake"] });
  // A machine with a real power type: its deployment waits for the node, as on hardware.
  const real = await harness.services.inventory.addMachine({ hostname: "real-1", interfaces: [{ mac: nextMac() }], cpus: 64, memoryMib: 262144, disks: [{ sizeBytes: 1e12 }], power: { type: "manual" }, hardware: { ip_address: "10.0.0.50" } });
  await harness.services.inventory.accept(real.systemId);
  await harness.services.inventory.transitionFrom(real.systemId, (await harness.services.inventory.getMachine(real.systemId)), "ready", "commissioned (test)");
  realId = real.systemId;
});
afterAll(() => harness.close());

describe("deploy", () => {
  it("refuses a machine the caller has not allocated (403) and bad parameters (400 naming them), changing nothing", async () => {
    const ready = (await maas.get("machines/", { tags: "fake" })).json[0].system_id as string;
    const before = await maasSnapshot(harness.services);
    const notOwned = await maas.post(`machines/${ready}/`, "deploy", { distro_series: "jammy" });
    expect(notOwned.status).toBe(403);
    expect(notOwned.text).toMatch(/not allocated to you/);
    const mine = (await maas.post("machines/", "allocate", { tags: "fake", agent_name: "agent-1" })).json.system_id as string;
    const afterAllocate = await maasSnapshot(harness.services);
    for (const [form, parameter] of [
      [{ user_data: "not base64!" }, "user_data"],
      [{ user_data: Buffer.alloc(17 * 1024).toString("base64") }, "user_data"],
      [{ distro_series: "warty" }, "distro_series"],
      [{ distro_series: "Jammy Jellyfish" }, "distro_series"],
      [{ install_kvm: "true" }, "install_kvm"],
      [{ colour: "blue" }, "colour"],
    ] as const) {
      const refused = await maas.post(`machines/${mine}/`, "deploy", form);
      expect([parameter, refused.status]).toEqual([parameter, 400]);
      expect(Object.keys(refused.json)).toEqual([parameter]);
    }
    expect(await maasSnapshot(harness.services)).toBe(afterAllocate);
    expect(afterAllocate).not.toBe(before);
  });

  it("deploys a real machine through the deploy path: Deploying, a deployment row and the user-data for cloud-init", async () => {
    const allocated = await maas.post("machines/", "allocate", { cpu_count: "32", agent_name: "agent-2" });
    expect(allocated.json.system_id).toBe(realId);
    // The catalogue's Ubuntu names no disk image: a real machine cannot take it.
    const before = await maasSnapshot(harness.services);
    const refused = await maas.post(`machines/${realId}/`, "deploy", { distro_series: "jammy" });
    expect(refused.status).toBe(400);
    expect(refused.json.distro_series[0]).toMatch(/no disk image/);
    // An image that needs more than the machine has is refused before anything is written to its disk.
    const tooSmall = await maas.post(`machines/${realId}/`, "deploy", { distro_series: "trixie" });
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.json.distro_series[0]).toBe("debian/trixie needs 524288 MiB of memory and a disk of at least 4 GiB; real-1 has 262144 MiB and 931 GiB.");
    expect(await maasSnapshot(harness.services)).toBe(before);

    const userData = "#cloud-config\nruncmd: [[touch, /tmp/ran]]\n";
    const deployed = await maas.post(`machines/${realId}/`, "deploy", { user_data: Buffer.from(userData).toString("base64"), distro_series: "bookworm", hwe_kernel: "ga-12" });
    expect(deployed.status, deployed.text).toBe(200);
    expect(deployed.json).toMatchObject({ status_name: "Deploying", status: 9, osystem: "debian", distro_series: "bookworm", hwe_kernel: "ga-12", owner: "juju", ip_addresses: ["10.0.0.50"] });
    const deployment = await deploymentOf(harness.services.db, realId);
    expect(deployment).toMatchObject({ imageId: STORE_IMAGE.imageId, phase: "planned" });
    const metadata = await harness.services.db.get<{ user_data: string; ami_id: string }>("SELECT user_data, ami_id FROM instance_metadata WHERE instance_id = $1", [deployment!.instanceId]);
    // Sealed at rest: opened with the store's key, as the metadata service does.
    const opened = harness.services.db.secrets.open(metadata!.user_data, `instance:${deployment!.instanceId}:metadata-user-data`);
    expect(Buffer.from(opened, "base64").toString()).toBe(userData);
    expect(metadata!.ami_id).toBe(STORE_IMAGE.imageId);
    // Deploying again is MAAS's 409 for the state.
    const again = await maas.post(`machines/${realId}/`, "deploy", {});
    expect(again.status).toBe(409);
    expect(again.text).toBe("Machine cannot be deployed in its current state ('Deploying').");
  });
});

describe("owner data, power, reads and release", () => {
  it("keeps owner data with the allocation, filters reads, and forgets both on release", async () => {
    const mine = (await maas.get("machines/", { agent_name: "agent-1" })).json as { system_id: string }[];
    expect(mine).toHaveLength(1);
    const id = mine[0]!.system_id;
    const set = await maas.post(`machines/${id}/`, "set_owner_data", { "juju-model-uuid": "m1", "juju-controller-uuid": "c1" });
    expect(set.json.owner_data).toEqual({ "juju-model-uuid": "m1", "juju-controller-uuid": "c1" });
    const unset = await maas.post(`machines/${id}/`, "set_owner_data", { "juju-controller-uuid": "" });
    expect(unset.json.owner_data).toEqual({ "juju-model-uuid": "m1" });
    const deployed = await maas.post(`machines/${id}/`, "deploy", { distro_series: "ubuntu/noble" });
    expect(deployed.json).toMatchObject({ status_name: "Deployed", power_state: "on", distro_series: "noble" });
    expect((await maas.post(`machines/${id}/`, "power_off", { stop_mode: "soft" })).json.power_state).toBe("off");
    expect((await maas.post(`machines/${id}/`, "power_on", {})).json.power_state).toBe("on");
    expect((await maas.post(`machines/${id}/`, "power_off", { stop_mode: "gentle" })).json).toEqual({ stop_mode: [expect.any(String)] });
    const hostname = deployed.json.hostname as string;
    expect((await maas.get("machines/", { hostname })).json.map((m: { system_id: string }) => m.system_id)).toEqual([id]);
    expect((await maas.get("machines/", { id: [id, realId] })).json).toHaveLength(2);
    expect((await maas.get("machines/", { mac_address: deployed.json.boot_interface.mac_address })).json).toHaveLength(1);
    expect((await maas.get("machines/", { mac_address: "nonsense" })).status).toBe(400);

    const released = await maas.post("machines/", "release", { machines: [id, realId], comment: "juju remove-machine" });
    expect(released.json).toEqual([id, realId]);
    const after = await maas.get(`machines/${id}/`);
    expect(after.json).toMatchObject({ status_name: "Ready", owner: null, owner_data: {}, osystem: "", ip_addresses: [] });
    expect((await maas.get("machines/", { agent_name: "agent-1" })).json).toEqual([]);
    // A real machine goes on to Releasing, where the lifecycle engine powers it off.
    expect((await maas.get(`machines/${realId}/`)).json.status_name).toBe("Releasing");
  });

  it("refuses unknown operations and paths as MAAS does", async () => {
    expect((await maas.post("machines/", "explode")).status).toBe(400);
    expect((await maas.post("machines/", "explode")).text).toBe("Unrecognised signature: method=POST op=explode");
    expect((await maas.get("nowhere/")).status).toBe(404);
    expect((await maas.get("machines/zzzzzz/")).status).toBe(404);
  });
});
