import { DescribeInstancesCommand, RebootInstancesCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LifecycleEngine } from "../../../lib/engine/lifecycle-engine.ts";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { selectPowerRequests } from "../../../lib/inventory/power-request.ts";
import { builtinPowerTypes } from "../../../lib/power/power-types.ts";
import { QemuPowerDriver } from "../../../lib/power/qemu.ts";
import { PowerDriverRegistry } from "../../../lib/power/registry.ts";
import { forceStatus, nextMac } from "../../helpers/inventory.ts";
import { runState, startHeldQemu, type HeldQemu } from "../../helpers/qemu-vm.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

// Stop, Start and Reboot on a machine with a real power type: the EC2 call leaves a power
// request, the lifecycle engine carries it out through the qemu driver on a real qemu.
// A deployable image, as the image store would list one (its files do not matter here: the
// deployment itself is set up by forceStatus below).
const NOBLE = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!;
const DEPLOYABLE = { ...NOBLE, imageId: "ami-0aaaaaaaaaaaaaaa1", deployable: true };
const AMD64 = DEPLOYABLE.imageId;

let harness: Ec2Harness;
let client: EC2Client;
let vm: HeldQemu;
let engine: LifecycleEngine;
let instanceId: string;

const state = async () => (await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!.State!.Name;

beforeAll(async () => {
  vm = await startHeldQemu();
  harness = await startEc2Harness({ images: async () => [DEPLOYABLE] });
  client = await harness.client("alice");
  const { inventory } = harness.services;
  const drivers = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [10], attemptTimeoutMs: 10_000 } }).register(new QemuPowerDriver({ commandTimeoutMs: 5_000 }));
  engine = new LifecycleEngine({ inventory, drivers, logger: pino({ level: "silent" }) });
  const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], cpus: 2, memoryMib: 4096, power: { type: "qemu", params: { qmp_socket: vm.socket } } });
  // Setup stand-ins for steps other tests cover: commissioning's hardware report, and the
  // deploy ramdisk's report that the image is written.
  await forceStatus(harness.services.inventory, machine.systemId, "ready");
  const run = await client.send(new RunInstancesCommand({ ImageId: AMD64, InstanceType: "t3.medium", MinCount: 1, MaxCount: 1 }));
  instanceId = run.Instances![0]!.InstanceId!;
  await forceStatus(harness.services.inventory, machine.systemId, "deployed");
  await harness.services.db.run("DELETE FROM power_requests");
  // The VM is on, as a deployed machine would be.
  await drivers.get("qemu").powerOn({ systemId: machine.systemId, params: { qmp_socket: vm.socket } });
});
afterAll(async () => {
  await harness?.close();
  await vm?.stop();
});

describe("Stop, Start and Reboot of a machine with a real power type", () => {
  it("Stop answers stopping, and the engine powers the machine off: stopped", async () => {
    expect(await state()).toBe("running");
    const stop = await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    expect(stop.StoppingInstances![0]).toMatchObject({ PreviousState: { Name: "running" }, CurrentState: { Name: "stopping", Code: 64 } });
    expect(await runState(vm.socket)).toBe("running");
    const reports = await engine.sweep();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ outcome: "done" });
    expect(["paused", "prelaunch"]).toContain(await runState(vm.socket));
    expect(await state()).toBe("stopped");
    expect(await selectPowerRequests(harness.services.db)).toEqual([]);
  });

  it("Start answers pending, and the engine powers it on: running", async () => {
    const start = await client.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    expect(start.StartingInstances![0]).toMatchObject({ PreviousState: { Name: "stopped" }, CurrentState: { Name: "pending" } });
    await engine.sweep();
    expect(await runState(vm.socket)).toBe("running");
    expect(await state()).toBe("running");
  });

  it("Reboot power-cycles it and it stays running", async () => {
    await client.send(new RebootInstancesCommand({ InstanceIds: [instanceId] }));
    expect((await selectPowerRequests(harness.services.db)).map((r) => r.action)).toEqual(["cycle"]);
    expect(await engine.sweep()).toHaveLength(1);
    expect(await runState(vm.socket)).toBe("running");
    expect(await state()).toBe("running");
  });

  it("a request whose BMC does not answer stays pending, with the error, until the next try", async () => {
    const machineId = (await harness.services.db.get<{ machine_id: string }>("SELECT machine_id FROM instances WHERE instance_id = $1", [instanceId]))!.machine_id;
    await harness.services.db.run("UPDATE machines SET power_params = $2 WHERE system_id = $1", [machineId, JSON.stringify({ qmp_socket: `${vm.dir}/gone.sock` })]);
    await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    const [report] = await engine.sweep();
    expect(report).toMatchObject({ outcome: "failed" });
    const [pending] = await selectPowerRequests(harness.services.db);
    expect(pending).toMatchObject({ action: "off" });
    expect(pending!.lastError).toMatch(/gone\.sock/);
    expect(await state()).toBe("stopping");
    // Tried again only after the retry interval.
    expect(await engine.sweep()).toEqual([]);
  });
});
