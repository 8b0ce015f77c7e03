/**
 * The client side of enlist-storm.ts, in a worker thread: simulated unknown machines that
 * power on at once and do, over HTTP, what a real one does from its first DHCP answer to its
 * delivered discovery report, retrying where the real one retries:
 *
 *   1. iPXE fetches the entry script (/boot.ipxe), then its per-MAC script. When that fails
 *      (429 RATE_LIMITED for unknown MACs, or any error), the entry script's own retry
 *      applies (lib/boot/ipxe-scripts.ts: sleep, then chain /boot.ipxe again).
 *   2. iPXE fetches the kernel and the initrd the script names (whole files, every byte read,
 *      or only their first `headBytes` by a ranged request, so that thousands of clients fit
 *      this machine's loopback and cores); on failure the script's `:failed` branch sleeps
 *      and starts over from /boot.ipxe.
 *   3. The discovery ramdisk POSTs its report to /enlist, retrying as its /init does
 *      (lib/images/discovery-init.ts: ENLIST_RETRY_DELAYS_S), and gives up after the last
 *      try: that report is lost.
 *
 * Each machine has its own source address (127.x.y.z: all of 127/8 is loopback on Linux),
 * so the server's per-source limits see one machine per address, as on a real network.
 * Bounded: every machine stops at `deadline` whatever it was doing.
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { BOOT_RETRY_DELAY_S } from "../../lib/boot/ipxe-scripts.ts";
import { ENLIST_RETRY_DELAYS_S } from "../../lib/images/discovery-init.ts";

export interface StormMachine {
  readonly mac: string;
  readonly source: string;
}

export interface StormWork {
  readonly host: string;
  readonly port: number;
  readonly machines: readonly StormMachine[];
  /** Absolute ms (timeOrigin + now): machines power on uniformly within [startAt, startAt + spreadMs). */
  readonly startAt: number;
  readonly spreadMs: number;
  readonly deadline: number;
  /** Bytes of each file a machine reads: whole files, or the first `headBytes` by a ranged request. */
  readonly headBytes?: number;
}

/** What one machine saw. */
export interface MachineRun {
  readonly poweredAt: number;
  /** When its report was accepted (201/200), or undefined: lost. */
  readonly enlistedAt?: number;
  readonly scriptLatencies: number[];
  readonly scriptRetries: number;
  readonly enlistRetries: number;
  /** Answers with status 429 on any step. */
  readonly rateLimited: number;
  readonly fileBytes: number;
  readonly error?: string;
}

const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Deadline extends Error {}

interface Answer {
  status: number;
  body: Buffer;
  bytes: number;
}

/** One HTTP request from `agent`; the body is kept only when `keep` (files are counted, not kept). */
function call(agent: Agent, work: StormWork, method: string, path: string, body?: string, keep = true, range?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
    if (range) headers.range = range;
    const req = request({ host: work.host, port: work.port, method, path, agent, headers, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), bytes }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

function report(mac: string, index: number): string {
  const bmc = `10.${(index >> 16) & 0xff}.${(index >> 8) & 0xff}.${(index & 0xff) || 1}`;
  return JSON.stringify({
    version: 1,
    mode: "enlist",
    bootMac: mac,
    architecture: "amd64",
    firmware: "uefi",
    cpus: 32,
    cpuModel: "Simulated Xeon",
    memoryMib: 262_144,
    interfaces: [{ name: "eno1", mac }],
    disks: [{ name: "sda", sizeBytes: 960 * 10 ** 9, model: "SSD", serial: `S${index}` }],
    dmi: { vendor: "Bench", product: "Storm", serial: `SN${index}` },
    bmcAddress: bmc,
    bmcUsername: "orchestra",
    bmcPassword: `pw-${index.toString(36)}`,
  });
}

async function machine(work: StormWork, m: StormMachine, index: number): Promise<MachineRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: m.source });
  const run = { poweredAt: 0, enlistedAt: undefined as number | undefined, scriptLatencies: [] as number[], scriptRetries: 0, enlistRetries: 0, rateLimited: 0, fileBytes: 0, error: undefined as string | undefined };
  const until = async (ms: number) => {
    if (clock() + ms > work.deadline) throw new Deadline();
    await sleep(ms);
  };
  try {
    await sleep(Math.max(0, work.startAt + Math.random() * work.spreadMs - clock()));
    run.poweredAt = clock();
    // iPXE: entry script, per-MAC script, kernel, initrd; any failure retries from the top.
    for (;;) {
      try {
        const entry = await call(agent, work, "GET", "/boot.ipxe");
        if (entry.status !== 200) throw new Error(`boot.ipxe: ${entry.status}`);
        const chained = /chain --autofree \S+?(\/boot\/\S+)/.exec(entry.body.toString())![1]!.replace("${netX/mac:hexhyp}", m.mac.replaceAll(":", "-"));
        const asked = clock();
        const script = await call(agent, work, "GET", chained);
        run.scriptLatencies.push(clock() - asked);
        if (script.status === 429) run.rateLimited++;
        if (script.status !== 200) throw new Error(`${chained}: ${script.status}`);
        const text = script.body.toString();
        const kernel = /^kernel \S+?(\/images\/\S+)/m.exec(text)?.[1];
        const initrd = /^initrd --name initrd \S+?(\/images\/\S+)/m.exec(text)?.[1];
        if (!kernel || !initrd) throw new Error(`no discovery boot in the script:\n${text}`);
        for (const path of [kernel, initrd]) {
          const file = await call(agent, work, "GET", path, undefined, false, work.headBytes ? `bytes=0-${work.headBytes - 1}` : undefined);
          if (file.status === 429) run.rateLimited++;
          if (file.status !== (work.headBytes ? 206 : 200)) throw new Error(`${path}: ${file.status}`);
          run.fileBytes += file.bytes;
        }
        break;
      } catch (error) {
        if (error instanceof Deadline) throw error;
        run.scriptRetries++;
        await until(BOOT_RETRY_DELAY_S * 1000);
      }
    }
    // The discovery ramdisk's report, with its /init's retries.
    const body = report(m.mac, index);
    for (let attempt = 0; ; attempt++) {
      const answer = await call(agent, work, "POST", "/enlist", body).catch((error: Error) => ({ status: 0, body: Buffer.from(error.message), bytes: 0 }));
      if (answer.status === 201 || answer.status === 200) {
        run.enlistedAt = clock();
        break;
      }
      if (answer.status === 429) run.rateLimited++;
      if (attempt >= ENLIST_RETRY_DELAYS_S.length) {
        run.error = `report lost after ${attempt + 1} tries: ${answer.status} ${answer.body.toString().slice(0, 200)}`;
        break;
      }
      run.enlistRetries++;
      await until(ENLIST_RETRY_DELAYS_S[attempt]! * 1000);
    }
  } catch (error) {
    run.error = error instanceof Deadline ? "stopped at the benchmark's deadline" : (error as Error).message;
  } finally {
    agent.destroy();
  }
  return run;
}

if (parentPort) {
  const work = workerData as StormWork & { firstIndex: number };
  const runs = await Promise.all(work.machines.map((m, i) => machine(work, m, work.firstIndex + i)));
  parentPort.postMessage(runs);
}
