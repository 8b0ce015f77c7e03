/**
 * The tracker on loopback: raw announces (as a stranger or a broken client would send them)
 * and a real swarm of two aria2c processes joining through it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bencode from "bencode";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aria2DownloadArguments, aria2SeedArguments, createImageTorrent, type FanoutTracker, startFanoutTracker } from "../../../lib/fanout/index.ts";
import { freeTcpPort } from "../../helpers/free-port.ts";

const HASH_A = "a".repeat(40);
const HASH_B = "b".repeat(40);
const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
const log = {
  info: (fields: object, message: string) => lines.push({ level: "info", message, fields: fields as Record<string, unknown> }),
  warn: (fields: object, message: string) => lines.push({ level: "warn", message, fields: fields as Record<string, unknown> }),
  debug: () => {},
};
let tracker: FanoutTracker;
let work: string;
/** Stand-in for the store: token → the one infohash it may join. */
const grants = new Map<string, string>([
  ["node-one", HASH_A],
  ["node-two", HASH_A],
  ["node-other", HASH_B],
]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "orchestra-fanout-tracker-"));
  tracker = await startFanoutTracker({
    host: "127.0.0.1",
    port: 0,
    log,
    intervalSeconds: 5,
    authorize: async ({ token, infoHash }) => {
      const granted = grants.get(token);
      if (!granted) return { refused: "no live deployment holds that token" };
      return granted === infoHash ? { label: token } : { refused: "that token's image is another one" };
    },
  });
});
afterAll(async () => {
  await tracker.close();
  await rm(work, { recursive: true, force: true });
});

function hashParam(hex: string): string {
  return [...Buffer.from(hex, "hex")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

async function announce(token: string, query: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${tracker.url}/fanout/${token}/announce?${query}`);
  expect(response.status).toBe(200);
  return bencode.decode(new Uint8Array(await response.arrayBuffer()));
}

function query(infoHash: string, peer: number, port: number, extra = ""): string {
  return `info_hash=${hashParam(infoHash)}&peer_id=${hashParam(String(peer).padStart(40, "0"))}&port=${port}&uploaded=0&downloaded=0&left=100&compact=1${extra}`;
}

const failure = (reply: Record<string, unknown>) => Buffer.from(reply["failure reason"] as Uint8Array).toString();

describe("the fan-out tracker", () => {
  it("hands a live token the other peers of its image's swarm, compact", async () => {
    const first = await announce("node-one", query(HASH_A, 1, 7001, "&event=started"));
    expect(first["failure reason"]).toBeUndefined();
    expect((first.peers as Uint8Array).length).toBe(0);
    const second = await announce("node-two", query(HASH_A, 2, 7002, "&event=started"));
    expect(Buffer.from(second.peers as Uint8Array).toString("hex")).toBe("7f0000011b59"); // 127.0.0.1:7001
    expect(second).toMatchObject({ interval: 5, incomplete: 2, complete: 0 });
    expect(lines.some((l) => l.level === "info" && l.message.includes("node-two started"))).toBe(true);
  });

  it("refuses an unknown token, another image's token and malformed announces, logs each, and lists no one", async () => {
    const before = JSON.stringify(tracker.swarms());
    const cases: Array<[string, string, RegExp]> = [
      ["stranger", query(HASH_A, 3, 7003), /no live deployment/],
      ["node-other", query(HASH_A, 4, 7004), /another one/],
      ["node-one", "info_hash=short&peer_id=x&port=1", /malformed announce: info_hash/],
      ["node-one", query(HASH_A, 5, 0), /port is out of range/],
      ["node-one", `${query(HASH_A, 5, 7005)}&event=bogus`, /unknown event/],
      ["node-one", "info_hash=%zz", /malformed percent/],
    ];
    for (const [token, q, reason] of cases) {
      const logged = lines.length;
      expect(failure(await announce(token, q))).toMatch(reason);
      expect(lines.slice(logged)).toEqual([expect.objectContaining({ level: "warn", message: expect.stringMatching(reason) })]);
    }
    const wrongPath = await fetch(`${tracker.url}/announce?${query(HASH_A, 6, 7006)}`);
    expect(failure(bencode.decode(new Uint8Array(await wrongPath.arrayBuffer())))).toMatch(/not an announce URL/);
    expect(JSON.stringify(tracker.swarms())).toBe(before);
  });

  it("drops a peer that says it stopped", async () => {
    await announce("node-two", query(HASH_A, 2, 7002, "&event=stopped"));
    expect(tracker.swarms()[HASH_A]?.map((p) => p.label)).toEqual(["node-one"]);
  });

  it("lets a real aria2c fetch from a real aria2c seeder through it", async () => {
    const bytes = randomBytes(1024 * 1024 + 12345);
    await mkdir(join(work, "seed"));
    await mkdir(join(work, "node"));
    await writeFile(join(work, "seed", "image"), bytes);
    const granted = await createImageTorrent({ path: join(work, "seed", "image"), name: "test.img", announceUrl: tracker.announceUrl("seeder") });
    const node = await createImageTorrent({ path: join(work, "seed", "image"), name: "test.img", announceUrl: tracker.announceUrl("node") });
    grants.set("seeder", granted.infoHash);
    grants.set("node", granted.infoHash);
    await writeFile(join(work, "seed.torrent"), granted.torrent);
    await writeFile(join(work, "node.torrent"), node.torrent);
    const seeder = execa("aria2c", aria2SeedArguments({ torrent: join(work, "seed.torrent"), dir: join(work, "seed"), out: "image", listenPort: await freeTcpPort(), unverified: true, stopWithPid: process.pid }), { reject: false });
    try {
      const fetched = await execa("aria2c", aria2DownloadArguments({ torrent: join(work, "node.torrent"), dir: join(work, "node"), out: "image", listenPort: await freeTcpPort(), stallSeconds: 20, seedSeconds: 0 }), { timeout: 40_000 });
      expect(fetched.exitCode).toBe(0);
      expect((await readFile(join(work, "node", "image"))).equals(bytes)).toBe(true);
      expect(lines.some((l) => l.message.startsWith("fan-out tracker: node started"))).toBe(true);
      expect(lines.some((l) => l.message.startsWith("fan-out tracker: seeder started"))).toBe(true);
    } finally {
      seeder.kill();
      await seeder;
    }
  });
});
