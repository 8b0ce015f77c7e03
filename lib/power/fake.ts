/**
 * @module power/fake
 * TEST ONLY: a power driver with no hardware behind it, for API tests and benchmarks. Every
 * action completes at once on in-memory state, and every result says it is fake. It is
 * never a default: a machine gets it only by naming the `fake` power type.
 */
import { describeTarget, type BootDevice, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { FAKE_POWER_TYPE } from "./power-types.ts";

const LABEL = "fake power (TEST ONLY)";

/** The `fake` power driver; `state` and `bootDevice` let tests look at what it did. */
export class FakePowerDriver implements PowerDriver {
  readonly type = FAKE_POWER_TYPE.name;
  readonly packages: readonly string[] = [];
  readonly testOnly = true;
  readonly state = new Map<string, "on" | "off">();
  readonly bootDevice = new Map<string, BootDevice>();

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    this.state.set(target.systemId, "on");
    return { outcome: "done", message: `${LABEL}: ${describeTarget(target)} is on` };
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    this.state.set(target.systemId, "off");
    return { outcome: "done", message: `${LABEL}: ${describeTarget(target)} is off` };
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    this.state.set(target.systemId, "on");
    return { outcome: "done", message: `${LABEL}: ${describeTarget(target)} was power-cycled` };
  }

  async queryPower(target: PowerTarget): Promise<PowerState> {
    return this.state.get(target.systemId) ?? "off";
  }

  async setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult> {
    this.bootDevice.set(target.systemId, device);
    return { outcome: "done", message: `${LABEL}: ${describeTarget(target)} boots from ${device} next` };
  }
}
