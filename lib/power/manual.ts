/**
 * @module power/manual
 * No BMC at all: every action becomes an instruction for the operator, returned as an
 * `operator-action-required` result that the caller records and shows. Nothing is claimed done.
 */
import { describeTarget, type BootDevice, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { MANUAL_POWER_TYPE } from "./power-types.ts";

function ask(message: string): PowerActionResult {
  return { outcome: "operator-action-required", message: `operator action required: ${message}` };
}

/** The `manual` power driver. */
export class ManualPowerDriver implements PowerDriver {
  readonly type = MANUAL_POWER_TYPE.name;
  readonly packages: readonly string[] = [];

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    return ask(`power on ${describeTarget(target)}`);
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    return ask(`power off ${describeTarget(target)}`);
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    return ask(`reset or power-cycle ${describeTarget(target)}`);
  }

  async queryPower(): Promise<PowerState> {
    return "unknown";
  }

  async setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult> {
    return ask(`make ${describeTarget(target)} boot from ${device === "pxe" ? "the network (PXE)" : "its disk"} next`);
  }
}
