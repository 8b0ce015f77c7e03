/**
 * The wol driver's packet as it leaves on the wire, captured by tcpdump: inside a network
 * namespace of its own (a veth pair on TEST-NET-1), a child process runs the driver and
 * tcpdump, on the pair's far end, writes the frame to a pcap file, which the test reads: an Ethernet broadcast
 * carrying IPv4/UDP to port 9 with the 102-byte magic packet.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { afterAll, describe, expect, it } from "vitest";

const namespace = `orch-wol-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "orchestra-wol-capture-"));
let tcpdump: ResultPromise | undefined;

afterAll(async () => {
  tcpdump?.kill("SIGTERM");
  await tcpdump?.catch(() => undefined);
  await execa("ip", ["netns", "del", namespace], { reject: false });
  rmSync(dir, { recursive: true, force: true });
});

/** The first packet of a pcap file (classic format, little-endian, Ethernet link type). */
function firstFrame(pcap: Buffer): Buffer {
  expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(pcap.readUInt32LE(20)).toBe(1);
  const captured = pcap.readUInt32LE(24 + 8);
  return pcap.subarray(24 + 16, 24 + 16 + captured);
}

describe("the wol driver on the wire", () => {
  it("sends an Ethernet broadcast to UDP port 9 carrying the magic packet", async () => {
    expect(process.getuid?.(), "network namespaces need root").toBe(0);
    const ip = (...args: string[]) => execa("ip", ["-n", namespace, ...args]);
    await execa("ip", ["netns", "add", namespace]);
    await ip("link", "set", "lo", "up");
    // A veth pair: the driver sends out of wol0, tcpdump listens on the far end, wol1.
    await ip("link", "add", "wol0", "type", "veth", "peer", "name", "wol1");
    await ip("addr", "add", "192.0.2.1/24", "dev", "wol0");
    await ip("link", "set", "wol0", "up");
    await ip("link", "set", "wol1", "up");

    const pcap = join(dir, "wol.pcap");
    tcpdump = execa("ip", ["netns", "exec", namespace, "tcpdump", "-i", "wol1", "-n", "-U", "-c", "1", "-w", pcap, "udp port 9"], { reject: false, all: true });
    // tcpdump says "listening on" once its capture is open; only then is a packet sure to be seen.
    let listening = false;
    tcpdump.all?.on("data", (chunk: Buffer) => (listening ||= chunk.toString().includes("listening on")));
    for (let i = 0; i < 100 && !listening; i++) await sleep(50);
    expect(listening, "tcpdump did not start").toBe(true);

    const driver = new URL("../../lib/power/wol.ts", import.meta.url).pathname;
    const send = `const { WolPowerDriver } = await import(${JSON.stringify(driver)});
      const result = await new WolPowerDriver().powerOn({ systemId: "k7dq3m", params: { mac: "52:54:00:ab:cd:01", broadcast: "192.0.2.255" } });
      console.log(result.outcome);`;
    const sent = await execa("ip", ["netns", "exec", namespace, process.execPath, "--input-type=module", "-e", send], { reject: false, all: true });
    expect(sent.exitCode, String(sent.all)).toBe(0);
    expect(sent.stdout.trim()).toBe("done");
    const done = await tcpdump;
    expect(done.exitCode, String(done.all)).toBe(0);

    const frame = firstFrame(readFileSync(pcap));
    expect(frame.subarray(0, 6).toString("hex")).toBe("ffffffffffff");
    expect(frame.readUInt16BE(12)).toBe(0x0800);
    const ipv4 = frame.subarray(14);
    const headerBytes = (ipv4[0]! & 0x0f) * 4;
    expect(ipv4[9]).toBe(17);
    expect([...ipv4.subarray(12, 16)].join(".")).toBe("192.0.2.1");
    expect([...ipv4.subarray(16, 20)].join(".")).toBe("192.0.2.255");
    const udp = ipv4.subarray(headerBytes);
    expect(udp.readUInt16BE(2)).toBe(9);
    const payload = udp.subarray(8, udp.readUInt16BE(4));
    expect(payload.length).toBe(102);
    expect(payload.subarray(0, 6).toString("hex")).toBe("ffffffffffff");
    for (let i = 0; i < 16; i++) expect(payload.subarray(6 + 6 * i, 12 + 6 * i).toString("hex"), `repetition ${i}`).toBe("525400abcd01");
  });
});
