import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { magicPacket, WolPowerDriver } from "../../lib/power/wol.ts";
import { PowerError } from "../../lib/power/power-errors.ts";
import { builtinPowerDrivers } from "../../lib/power/registry.ts";

/** A UDP receiver bound to the loopback network's broadcast address: it sees only broadcasts. */
function receiver(): Promise<{ port: number; socket: Socket; next: () => Promise<{ packet: Buffer; from: string }> }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const queue: { packet: Buffer; from: string }[] = [];
    const waiters: ((m: { packet: Buffer; from: string }) => void)[] = [];
    socket.on("message", (packet, info) => {
      const message = { packet, from: info.address };
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    });
    socket.once("error", reject);
    socket.bind(0, "127.255.255.255", () =>
      resolve({
        port: socket.address().port,
        socket,
        next: () =>
          new Promise((res, rej) => {
            const queued = queue.shift();
            if (queued) return res(queued);
            const timer = setTimeout(() => rej(new Error("no packet within 2 s")), 2_000);
            waiters.push((m) => {
              clearTimeout(timer);
              res(m);
            });
          }),
      }),
    );
  });
}

describe("the wol driver", () => {
  let socket: Socket | undefined;
  afterEach(() => {
    socket?.close();
    socket = undefined;
  });

  it("broadcasts the 102-byte magic packet: six 0xFF, then the MAC sixteen times", async () => {
    const rx = await receiver();
    socket = rx.socket;
    const result = await builtinPowerDrivers().get("wol").powerOn({ systemId: "k7dq3m", params: { mac: "52:54:00:AB:cd:01", broadcast: "127.255.255.255", port: String(rx.port) } });
    expect(result.outcome).toBe("done");
    const { packet, from } = await rx.next();
    expect(from).toBe("127.0.0.1");
    expect(packet.length).toBe(102);
    expect(packet.subarray(0, 6).equals(Buffer.alloc(6, 0xff))).toBe(true);
    const mac = Buffer.from([0x52, 0x54, 0x00, 0xab, 0xcd, 0x01]);
    for (let i = 0; i < 16; i++) expect(packet.subarray(6 + 6 * i, 12 + 6 * i).equals(mac), `repetition ${i}`).toBe(true);
  });

  it("wakes the boot interface's MAC when no mac parameter is set", async () => {
    const rx = await receiver();
    socket = rx.socket;
    await new WolPowerDriver().powerOn({ systemId: "k7dq3m", bootMac: "52:54:00:00:00:07", params: { broadcast: "127.255.255.255", port: String(rx.port) } });
    const { packet } = await rx.next();
    expect(packet.subarray(96, 102).toString("hex")).toBe("525400000007");
  });

  it("refuses a malformed MAC before sending anything, and never retries it", async () => {
    const error = await builtinPowerDrivers().get("wol").powerOn({ systemId: "k7dq3m", params: { mac: "52:54:00:zz:00:01" } }).catch((e: unknown) => e);
    expect((error as PowerError).code).toBe("INVALID_POWER_PARAMETER");
    expect(() => magicPacket("52:54:00:00:01")).toThrow(/not a MAC address/);
  });

  it("asks the operator to power off and cannot tell the power state", async () => {
    const driver = new WolPowerDriver();
    const target = { systemId: "k7dq3m", params: {} };
    expect((await driver.powerOff(target)).outcome).toBe("operator-action-required");
    expect(await driver.queryPower()).toBe("unknown");
    expect((await driver.setBootDevice(target)).outcome).toBe("not-supported");
  });
});
