/**
 * End to end, proxy-DHCP: the site's own DHCP server (a plain dnsmasq that knows nothing of
 * network boot) hands out the address; Orchestra's dnsmasq beside it only adds the boot
 * data. A machine nobody registered, powered on through its BMC, still boots discovery and
 * enlists with that BMC.
 */
import { LAB_VM_DEFAULTS } from "../../lib/lab/lab-up.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { labSiteNamespace } from "../../lib/lab/lab-state.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";
import { consoleTails, labTestDataDir, orchestraCli, waitForMachines, waitForVmsToStop } from "../helpers/lab.ts";

let status: LabStatus | undefined;
const dataDir = labTestDataDir("orchestra-e2e-proxy-", () => status, { extraNamespaces: (dir) => [labSiteNamespace(dir)] });

describe("the lab in proxy-DHCP mode", () => {
  it("boots and enlists a machine whose address comes from another DHCP server", async () => {
    expect(process.getuid?.(), "the lab needs root (network namespaces, tap devices)").toBe(0);
    const up = await orchestraCli(dataDir, "lab", "up", "--nodes", "1", "--dhcp", "proxy", "--json");
    expect(up.exitCode, up.all).toBe(0);
    status = JSON.parse(up.stdout) as LabStatus;
    expect(status.dhcpMode).toBe("proxy");
    // Orchestra's dnsmasq runs in proxy mode: it has no range of its own.
    expect(readFileSync(join(dataDir, "dnsmasq", "dnsmasq.conf"), "utf8")).toContain("dhcp-range=192.0.2.0,proxy,255.255.255.0\n");

    const machines = await waitForMachines(dataDir, 1, 240_000);
    expect(machines.length, `machine enlisted before the deadline:\n${consoleTails(status)}`).toBe(1);
    const vm = status.vms[0]!;
    expect(machines[0]).toMatchObject({ status: "new", cpus: 1, memoryMib: LAB_VM_DEFAULTS.memoryMib });
    expect(machines[0]!.interfaces[0]!.mac).toBe(vm.mac);
    // Powered on through its BMC, it reported that BMC, whoever handed out its address.
    expect(machines[0]!.power).toMatchObject({ type: "ipmi", params: { address: vm.bmc.address, username: "orchestra" } });
    // The lease is the site server's, not Orchestra's.
    expect(readFileSync(join(dataDir, "lab", "site.leases"), "utf8")).toContain(vm.mac);
    expect(await waitForVmsToStop(dataDir, 60_000)).toBe(0);
  }, 360_000);
});
