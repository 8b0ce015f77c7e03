/**
 * A power step is for one state entry: when the machine leaves that state (an operator marks
 * it broken) or is deleted while the driver retries an unreachable BMC, the retries stop, the
 * step is recorded as cancelled, and nothing is logged as an error for a machine nobody wants
 * powered. The BMC is the real qemu driver against a QMP socket nobody listens on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LifecycleEngine } from "../../lib/engine/lifecycle-engine.ts";
import { selectPowerActions } from "../../lib/engine/power-action-rows.ts";
import { builtinPowerTypes } from "../../lib/power/power-types.ts";
import { QemuPowerDriver } from "../../lib/power/qemu.ts";
import { PowerDriverRegistry } from "../../lib/power/registry.ts";
import { memoryInventory, nextMac } from "../helpers/inventory.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-cancel-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A logger that keeps what it is told, to count retries and errors. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  const logger = { warn: at("warn"), info: at("info"), error: at("error"), debug: at("debug"), child: () => logger };
  return { lines, logger };
}

// Ten retries 150 ms apart: without cancellation the step would run about 1.5 s and then fail the machine.
const policy = { delaysMs: Array.from({ length: 10 }, () => 150), attemptTimeoutMs: 5_000 };

for (const leave of ["marked broken", "deleted"] as const) {
  describe(`a power step whose machine is ${leave} while it retries`, () => {
    it("stops retrying, is recorded as cancelled, and logs no error", async () => {
      const { lines, logger } = recordingLogger();
      const drivers = new PowerDriverRegistry(builtinPowerTypes(), { policy, logger }).register(new QemuPowerDriver({ commandTimeoutMs: 2_000 }));
      const inventory = await memoryInventory();
      const engine = new LifecycleEngine({ inventory, drivers, logger: logger as never });
      const machine = await inventory.addMachine({ interfaces: [{ mac: nextMac() }], power: { type: "qemu", params: { qmp_socket: join(dir, `${leave.replace(" ", "-")}.sock`) } } });
      await inventory.accept(machine.systemId);
      const sweep = engine.sweep();
      // Leave the state once the driver has failed at least once.
      while (!lines.some((l) => l.level === "warn")) await new Promise((r) => setTimeout(r, 20));
      if (leave === "marked broken") await inventory.markBroken(machine.systemId, "fan failure");
      else await inventory.deleteMachine(machine.systemId, { force: true });
      const [report] = await sweep;
      expect(report).toMatchObject({ systemId: machine.systemId, status: "commissioning", outcome: "cancelled" });
      expect(report!.message).toMatch(/cancelled after \d+ attempts?: no longer wanted/);
      const retries = lines.filter((l) => l.level === "warn").length;
      expect(retries).toBeLessThan(policy.delaysMs.length);
      expect(lines.filter((l) => l.level === "error")).toEqual([]);
      if (leave === "marked broken") {
        expect((await inventory.getMachine(machine.systemId)).status).toBe("broken");
        expect((await selectPowerActions(inventory.db, machine.systemId))[0]).toMatchObject({ status: "commissioning", outcome: "cancelled" });
      } else {
        await expect(inventory.getMachine(machine.systemId)).rejects.toMatchObject({ code: "MACHINE_NOT_FOUND" });
      }
    });
  });
}
