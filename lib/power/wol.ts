/**
 * @module power/wol
 * Wake-on-LAN: a UDP magic packet (six 0xFF bytes, then the MAC sixteen times) to a
 * broadcast address. It can only switch a machine on and cannot tell whether it worked:
 * powering off is left to the operator (or to the machine's own `poweroff`).
 */
import { createSocket } from "node:dgram";
import { PowerConnectionError, PowerFatalError } from "./power-errors.ts";
import { describeTarget, done, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { WOL_POWER_TYPE } from "./power-types.ts";

/** The 102-byte magic packet for `mac` (aa:bb:cc:dd:ee:ff). */
export function magicPacket(mac: string): Buffer {
  const bytes = mac.split(/[:-]/).map((octet) => Number.parseInt(octet, 16));
  if (bytes.length !== 6 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new PowerFatalError(`cannot wake ${JSON.stringify(mac)}: not a MAC address`, {}, { code: "INVALID_POWER_PARAMETER" });
  }
  const packet = Buffer.alloc(6 + 16 * 6, 0xff);
  for (let i = 0; i < 16; i++) Buffer.from(bytes).copy(packet, 6 + i * 6);
  return packet;
}

/** The `wol` power driver. */
export class WolPowerDriver implements PowerDriver {
  readonly type = WOL_POWER_TYPE.name;
  readonly packages: readonly string[] = [];
  readonly #timeoutMs: number;

  constructor(options: { sendTimeoutMs?: number } = {}) {
    this.#timeoutMs = options.sendTimeoutMs ?? 5_000;
  }

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    const mac = target.params.mac ?? target.bootMac;
    if (!mac) throw new PowerFatalError(`wake-on-LAN for ${describeTarget(target)} needs a MAC (power parameter mac, or a boot interface)`, {}, { code: "INVALID_POWER_PARAMETER" });
    const address = target.params.broadcast ?? "255.255.255.255";
    const port = Number(target.params.port ?? "9");
    await this.#send(magicPacket(mac), address, port);
    return done(`sent a wake-on-LAN packet for ${mac} to ${address}:${port}`);
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    return { outcome: "operator-action-required", message: `wake-on-LAN cannot power off ${describeTarget(target)}: switch it off by hand` };
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    return { outcome: "operator-action-required", message: `wake-on-LAN cannot power-cycle ${describeTarget(target)}: reset it by hand` };
  }

  async queryPower(): Promise<PowerState> {
    return "unknown";
  }

  async setBootDevice(target: PowerTarget): Promise<PowerActionResult> {
    return { outcome: "not-supported", message: `wake-on-LAN cannot choose ${describeTarget(target)}'s boot device: its firmware must boot from the network first` };
  }

  #send(packet: Buffer, address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createSocket("udp4");
      const finish = (error?: Error) => {
        clearTimeout(timer);
        socket.close();
        if (error) reject(new PowerConnectionError(`cannot send the wake-on-LAN packet to ${address}:${port}: ${error.message}`, { address, port }, { cause: error }));
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`no send completion within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      socket.once("error", finish);
      socket.bind(0, () => {
        socket.setBroadcast(true);
        socket.send(packet, port, address, (error) => finish(error ?? undefined));
      });
    });
  }
}
