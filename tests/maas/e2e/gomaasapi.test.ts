/**
 * Juju's own MAAS client library (gomaasapi, from Debian) against a real `orchestra serve`
 * with fake (test-only) machines: the bootstrap and add-machine sequence of Juju's maas
 * provider, end to end, plus the faults it must classify as MAAS's (wrong key, no match).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inventory } from "../../../lib/inventory/index.ts";
import { openStore } from "../../../lib/store/open-store.ts";
import { startOrchestra, type OrchestraProcess } from "../../ec2/helpers/orchestra-process.ts";
import { nextMac } from "../../helpers/inventory.ts";
import { gomaasapiClient, runGomaasapiClient } from "../helpers/gomaasapi-client.ts";

let orchestra: OrchestraProcess;

beforeAll(async () => {
  // Build (or find cached) while the server starts.
  const [started] = await Promise.all([startOrchestra(), gomaasapiClient()]);
  orchestra = started;
  const db = await openStore(orchestra.dataDir);
  try {
    const inventory = new Inventory(db);
    // A small machine with a tag the client excludes, and the one it should get; both on the
    // default zone's subnet (10.0.0.0/24 under the default VPC 10.0.0.0/16).
    for (const [index, tags] of [[["gpu"]], [["db"]]].map((t, i) => [i, t[0]] as const)) {
      const machine = await inventory.addMachine({
        interfaces: [{ mac: nextMac(), name: "eno1" }, { mac: nextMac(), name: "eno2" }],
        cpus: 2,
        memoryMib: 4096,
        disks: [{ name: "sda", sizeBytes: 50e9 }],
        hardware: { ip_address: `10.0.0.${20 + index}`, cpu_model: "Test CPU" },
        tags,
        power: { type: "fake" },
      });
      await inventory.accept(machine.systemId);
    }
  } finally {
    await db.close();
  }
}, 120_000);
afterAll(() => orchestra?.stop());

describe("gomaasapi (Juju's MAAS client) against orchestra serve", () => {
  it("bootstraps, allocates, deploys with user-data, reads addresses and releases, as Juju's maas provider does", async () => {
    const { stdout } = await orchestra.cli(["credentials", "create", "--account", "juju", "--maas", "--json"]);
    const key = JSON.parse(stdout) as { apiKey: string; account: string };
    expect(key.apiKey).toMatch(/^[A-Za-z0-9]{18}:[A-Za-z0-9]{18}:[A-Za-z0-9]{32}$/);
    const [consumer, token] = key.apiKey.split(":");
    const report = await runGomaasapiClient({
      MAAS_URL: `${orchestra.endpoint}/MAAS/`,
      MAAS_KEY: key.apiKey,
      MAAS_WRONG_KEY: `${consumer}:${token}:${"x".repeat(32)}`,
      MAAS_NOT_TAG: "gpu",
      MAAS_SERIES: "jammy",
    });
    expect(report.errors).toEqual({ wrong_key: "PermissionError", no_match: "NoMatchError", release_ready: "PermissionError" });
    expect(report.capabilities).toContain("network-deployment-ubuntu");
    expect(report.zones).toEqual(["default"]);
    expect(report.pools).toEqual(["default"]);
    expect(report.spaces).toEqual({ "space-0": ["10.0.0.0/24"] });
    expect(report.fabrics).toEqual({ "fabric-0": [0] });
    expect(report.domains).toEqual(["maas"]);
    expect(report.boot_resources).toContain("ubuntu/jammy amd64/generic");
    expect(report.tags?.sort()).toEqual(["db", "gpu"]);
    expect(report.machines_with_agent_before).toBe(0);
    expect(report.allocated).toMatchObject({ status: "Allocated", zone: "default", cpus: 2, memory: 4096, tags: ["db"] });
    expect(report.constraint_matches).toEqual({ storage: 1, interfaces: 1 });
    // A fake machine deploys at once: Deployed is the first state the poll sees.
    expect(report.statuses_seen).toEqual(["Deployed"]);
    expect(report.deployed).toMatchObject({
      status: "Deployed",
      osystem: "ubuntu",
      series: "jammy",
      ip_addresses: ["10.0.0.21"],
      owner_data: { "juju-model-uuid": "deadbeef", "juju-is-controller": "true" },
      power_state: "on",
    });
    expect(report.deployed.links).toEqual([{ interface: "eno1", mac: expect.any(String), mode: "auto", subnet: "10.0.0.0/24", ip: "10.0.0.21" }]);
    expect(report.found_by_owner_data).toBe(1);
    expect(report.devices).toBe(0);
    expect(report.status_after_release).toBe("Ready");

    // The user-data reached the metadata service's record for the deployment, decoded.
    const db = await openStore(orchestra.dataDir);
    try {
      const rows = await db.all<{ instance_id: string; user_data: string | null }>("SELECT md.instance_id, md.user_data FROM instance_metadata md JOIN instances i ON i.instance_id = md.instance_id WHERE i.machine_id = $1", [report.allocated.system_id]);
      expect(rows).toHaveLength(1);
      // Sealed at rest: opened with the store's key, as the metadata service does.
      const opened = db.secrets.open(rows[0]!.user_data!, `instance:${rows[0]!.instance_id}:metadata-user-data`);
      expect(Buffer.from(opened, "base64").toString()).toContain("maas-user-data-ran");
      // Released: the allocation ended, so its owner data is no longer the machine's.
      const open = await db.all("SELECT instance_id FROM instances WHERE machine_id = $1 AND ended_at IS NULL", [report.allocated.system_id]);
      expect(open).toEqual([]);
    } finally {
      await db.close();
    }
  }, 180_000);
});
