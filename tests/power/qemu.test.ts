import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PowerTarget } from "../../lib/power/power-driver.ts";
import { PowerError, PowerFatalError } from "../../lib/power/power-errors.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { QemuPowerDriver, QmpSession } from "../../lib/power/qemu.ts";
import { runState, startHeldQemu, type HeldQemu } from "../helpers/qemu-vm.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";

describe("the qemu driver against a real qemu-system-x86_64 over QMP", () => {
  let vm: HeldQemu;
  let dir: string;
  let socket: string;
  let target: PowerTarget;
  const registry = new PowerDriverRegistry(builtinPowerTypes(), { policy: { delaysMs: [10], attemptTimeoutMs: 10_000 } }).register(new QemuPowerDriver({ commandTimeoutMs: 5_000 }));
  const qemu = () => registry.get("qemu");

  beforeAll(async () => {
    vm = await startHeldQemu();
    ({ dir, socket } = vm);
    target = { systemId: "k7dq3m", params: { qmp_socket: socket } };
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it("reads a VM held before its first instruction as off", async () => {
    expect(await runState(socket)).toBe("prelaunch");
    expect(await qemu().queryPower(target)).toBe("off");
  });

  it("powers the VM on (cont) and off (stop and reset), as QEMU itself reports", async () => {
    await qemu().powerOn(target);
    expect(await runState(socket)).toBe("running");
    expect(await qemu().queryPower(target)).toBe("on");
    await qemu().powerOff(target);
    // QEMU 7.2 reports a VM reset while stopped as "prelaunch" again; older ones say "paused".
    expect(["paused", "prelaunch"]).toContain(await runState(socket));
    expect(await qemu().queryPower(target)).toBe("off");
  });

  it("power-cycles into a running VM", async () => {
    await qemu().powerCycle(target);
    expect(await runState(socket)).toBe("running");
    await qemu().powerOff(target);
  });

  it("says plainly that QMP cannot choose the boot device", async () => {
    expect((await qemu().setBootDevice(target, "pxe")).outcome).toBe("not-supported");
  });

  it("maps a QMP error reply to a fatal error", async () => {
    const qmp = await QmpSession.open(socket, 5_000);
    try {
      await expect(qmp.execute("no-such-command")).rejects.toBeInstanceOf(PowerFatalError);
    } finally {
      qmp.close();
    }
  });

  it("retries an absent QMP socket, then gives up with a connection error", async () => {
    const error = await qemu().powerOn({ systemId: "k7dq3m", params: { qmp_socket: join(dir, "absent.sock") } }).catch((e: unknown) => e);
    expect((error as PowerError).code).toBe("POWER_CONNECTION_FAILED");
    expect((error as PowerError).details.attempts).toBe(2);
  });
});
