import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_A, startMetadataFixture, type MetadataFixture } from "./fixtures.ts";

const B = "127.0.0.3";
const STRANGER = "127.0.0.9";

/** A small seeded PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "latest", "2009-04-04", "meta-data", "user-data", "dynamic", "instance-identity", "document", "public-keys", "0", "1", "openssh-key",
  "placement", "availability-zone", "instance-id", "api", "token", "nocloud", "..", ".", "%2e%2e", "%2E%2e%2f", "%2F", "%00", "", "~", "=",
  "0=alice", "a".repeat(300), "%ff%fe", "%c3%a9", "meta-data%2f..%2fuser-data", "..%5c..%5c", "?x=1", "#frag", "*", ";", ",",
];

/** One raw HTTP/1.1 exchange from `from`, for request lines a client library would refuse to send. */
function raw(port: number, from: string, requestText: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress: from });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    // A server that answers early (431) and resets the rest of an oversized request has still answered.
    socket.on("error", (error) => (chunks.length > 0 ? resolve(Buffer.concat(chunks).toString("latin1")) : reject(error)));
    socket.setTimeout(5_000, () => socket.destroy(new Error("no answer")));
    socket.end(requestText);
  });
}

describe("the metadata service under hostile input", () => {
  let md: MetadataFixture;
  let secretsOfA: string[];
  beforeAll(async () => {
    md = await startMetadataFixture();
    secretsOfA = [md.a.instanceId, KEY_A, "node A ran", md.a.nocloudSecret!, "ami-0123456789abcdef0"];
  });
  afterAll(async () => {
    await md?.close();
  });

  it("answers 400 random paths without a server error and without leaking another node's data", async () => {
    const random = prng(20261125);
    for (let i = 0; i < 400; i++) {
      const length = 1 + Math.floor(random() * 6);
      const path = `/${Array.from({ length }, () => PIECES[Math.floor(random() * PIECES.length)]).join("/")}${random() < 0.3 ? "/" : ""}`;
      for (const from of [B, STRANGER]) {
        const response = await md.fetch(from, path);
        expect([200, 400, 401, 404], `${from} ${path}`).toContain(response.status);
        const body = response.body.toString("latin1");
        for (const secret of secretsOfA) expect(body, `${from} ${path}`).not.toContain(secret);
        if (from === STRANGER) expect(response.status, path).not.toBe(200);
      }
    }
  });

  it("does not walk out of the tree with dot segments, encoded or not", async () => {
    for (const path of ["/latest/meta-data/../user-data", "/latest/meta-data/%2e%2e/user-data", "/latest/./meta-data/instance-id", "//latest/meta-data/instance-id", "/latest//meta-data/instance-id", "/latest/meta-data/instance-id/.", "/latest/meta-data\\..\\user-data"]) {
      const answer = await raw(md.port, B, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer, path).toMatch(/^HTTP\/1\.1 (?:400|404) /);
    }
  });

  it("refuses oversized headers, then keeps serving", async () => {
    const huge = await raw(md.port, B, `GET /latest/meta-data/instance-id HTTP/1.1\r\nHost: x\r\nX-Big: ${"x".repeat(20 * 1024)}\r\nConnection: close\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    const bigToken = await md.fetch(B, "/latest/meta-data/instance-id", { headers: { "x-aws-ec2-metadata-token": "v1.9999999999.".padEnd(8000, "A") } });
    expect(bigToken.status).toBe(401);
    const after = await md.fetch(B, "/latest/meta-data/instance-id");
    expect([after.status, after.body.toString()]).toEqual([200, md.b.instanceId]);
  });

  it("refuses garbage tokens and TTLs of every shape", async () => {
    const random = prng(7);
    for (let i = 0; i < 100; i++) {
      const token = Array.from({ length: Math.floor(random() * 80) }, () => String.fromCharCode(0x21 + Math.floor(random() * 94))).join("");
      expect((await md.fetch(B, "/latest/meta-data/instance-id", { headers: { "x-aws-ec2-metadata-token": token } })).status, token).toBe(401);
      const ttl = String(Math.floor(random() * 100_000) - 50_000);
      const status = (await md.fetch(B, "/latest/api/token", { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": ttl } })).status;
      expect(status, ttl).toBe(Number(ttl) >= 1 && Number(ttl) <= 21600 ? 200 : 400);
    }
  });
});
