/**
 * Slow and greedy clients against a real `orchestra serve`, on both listeners (boot/metadata
 * and EC2): real sockets that trickle headers or a body a byte every 300 ms, sit idle, or
 * open connection after connection from one source address. The assertions are on what the
 * server does (it closes the connection, with a 408 in the listener's own format, while the
 * client still had far to go), never on how long it took; the client's own give-up point is
 * 30 s away, which Node's defaults (slow headers cut after about 90 s, slow bodies and idle
 * connections never) blow through. A download read slowly, for longer than every request
 * limit, must still complete: the limits bound requests, not responses.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addImage } from "../../lib/images/image-store.ts";
import { startOrchestra, type OrchestraProcess } from "../ec2/helpers/orchestra-process.ts";

/** How long a client keeps trickling or waiting before it concludes the server never cut it off. */
const CLIENT_PATIENCE_MS = 30_000;

interface Outcome {
  /** The server closed the connection before the client was done. */
  readonly closedByServer: boolean;
  readonly answer: string;
}

function open(url: string, localAddress = "127.0.0.1"): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Send `head` at once, then `trickle` a byte every 300 ms (or nothing: an idle client) until done or patience runs out. */
async function slowClient(url: string, head: string, trickle: string): Promise<Outcome> {
  const socket = await open(url);
  let answer = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
  socket.on("error", () => undefined);
  const ended = new Promise<void>((resolve) => socket.once("close", () => ((closed = true), resolve())));
  socket.write(head);
  const deadline = Date.now() + CLIENT_PATIENCE_MS;
  let sent = 0;
  while (!closed && Date.now() < deadline) {
    if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 300))]);
  }
  const closedByServer = closed;
  socket.destroy();
  return { closedByServer, answer };
}

let strict: OrchestraProcess;
let capped: OrchestraProcess;
const scratch = mkdtempSync(join(tmpdir(), "orchestra-limits-"));

beforeAll(async () => {
  [strict, capped] = await Promise.all([
    startOrchestra({ serveArgs: ["--http-headers-timeout", "2", "--http-request-timeout", "3", "--http-idle-timeout", "3", "--http-keep-alive-timeout", "1"] }),
    startOrchestra({ serveArgs: ["--http-max-connections-per-source", "4"] }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([strict?.stop(), capped?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe("connection limits of every listener", () => {
  it("cuts off headers that trickle in, with a 408 in each listener's own format", async () => {
    const boot = await slowClient(strict.bootUrl, "GET /healthz HTTP/1.1\r\nHost: orchestra\r\nX-Slow: ", "a".repeat(200));
    expect(boot.closedByServer).toBe(true);
    expect(boot.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(boot.answer).toContain('"code":"HTTP_REQUEST_TIMEOUT"');
    const ec2 = await slowClient(strict.endpoint, "POST / HTTP/1.1\r\nHost: orchestra\r\nX-Slow: ", "a".repeat(200));
    expect(ec2.closedByServer).toBe(true);
    expect(ec2.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ec2.answer).toContain("<Code>RequestTimeout</Code>");
  }, 90_000);

  it("cuts off a body that trickles in", async () => {
    const body = JSON.stringify({ padding: "x".repeat(180) });
    const boot = await slowClient(strict.bootUrl, `POST /enlist HTTP/1.1\r\nHost: orchestra\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    expect(boot.closedByServer).toBe(true);
    expect(boot.answer).toMatch(/^HTTP\/1\.1 408 /);
    const form = `Action=DescribeRegions&Version=2016-11-15&Padding=${"x".repeat(150)}`;
    const ec2 = await slowClient(strict.endpoint, `POST / HTTP/1.1\r\nHost: orchestra\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n`, form);
    expect(ec2.closedByServer).toBe(true);
    expect(ec2.answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 90_000);

  it("closes a connection that never sends anything", async () => {
    const [boot, ec2] = await Promise.all([slowClient(strict.bootUrl, "", ""), slowClient(strict.endpoint, "", "")]);
    expect(boot.closedByServer).toBe(true);
    expect(ec2.closedByServer).toBe(true);
  }, 60_000);

  it("closes a kept-alive connection that asks nothing more", async () => {
    const outcome = await slowClient(strict.bootUrl, "GET /healthz HTTP/1.1\r\nHost: orchestra\r\nConnection: keep-alive\r\n\r\n", "");
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.closedByServer).toBe(true);
  }, 60_000);

  it("caps the connections one source holds, and serves other sources meanwhile", async () => {
    for (const url of [capped.bootUrl, capped.endpoint]) {
      const held = await Promise.all(Array.from({ length: 4 }, () => open(url)));
      // Wait until the server has counted them all: one more is refused, with its reason.
      const refused = await slowClient(url, "", "");
      expect(refused.closedByServer).toBe(true);
      expect(refused.answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(refused.answer).toMatch(url === capped.bootUrl ? /"code":"TOO_MANY_CONNECTIONS"/ : /<Code>RequestLimitExceeded<\/Code>/);
      // Another source address is not affected.
      const other = await open(url, "127.0.0.2");
      const answered = new Promise<string>((resolve) => {
        let text = "";
        other.on("data", (chunk: Buffer) => (text += chunk.toString()));
        other.once("close", () => resolve(text));
      });
      other.end(`GET /healthz HTTP/1.1\r\nHost: orchestra\r\nConnection: close\r\n\r\n`);
      expect(await answered).toMatch(/^HTTP\/1\.1 (200|400) /);
      // A freed slot is usable again.
      held.pop()!.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const again = await fetch(new URL("/healthz", capped.bootUrl === url ? url : capped.bootUrl));
      expect(again.status).toBe(200);
      for (const socket of held) socket.destroy();
    }
  }, 60_000);

  it("lets a download read slowly for longer than every request limit complete (a PXE client on a slow link)", async () => {
    const kernel = randomBytes(8 * 1024 * 1024);
    writeFileSync(join(scratch, "kernel"), kernel);
    writeFileSync(join(scratch, "initrd"), "initrd");
    const image = await addImage(strict.dataDir, { name: "slow-link", role: "discovery", release: "test", architecture: "amd64", source: "limits-test" }, { kernel: { path: join(scratch, "kernel") }, initrd: { path: join(scratch, "initrd") } });
    const socket = await open(strict.bootUrl);
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // At most 128 KiB every 100 ms (1.25 MiB/s): 8 MiB take over 6 s, longer than the 3 s
    // request and idle limits together, yet the client never pauses as long as the idle limit.
    let thisTick = 0;
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      thisTick += chunk.length;
      if (thisTick >= 128 * 1024) socket.pause();
    });
    const pacer = setInterval(() => {
      thisTick = 0;
      socket.resume();
    }, 100);
    socket.write(`GET /images/${image.id}/kernel HTTP/1.1\r\nHost: orchestra\r\nConnection: close\r\n\r\n`);
    await done;
    clearInterval(pacer);
    const received = Buffer.concat(chunks);
    const headerEnd = received.indexOf("\r\n\r\n");
    expect(received.subarray(0, 15).toString()).toBe("HTTP/1.1 200 OK");
    const body = received.subarray(headerEnd + 4);
    expect(body.length).toBe(kernel.length);
    expect(createHash("sha256").update(body).digest("hex")).toBe(createHash("sha256").update(kernel).digest("hex"));
  }, 120_000);
});
