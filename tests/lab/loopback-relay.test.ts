import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLoopbackRelay } from "../../lib/lab/loopback-relay.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-relay-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the loopback relay", () => {
  it("publishes a unix-socket HTTP service on 127.0.0.1 and closes cleanly", async () => {
    const socket = join(dir, "svc.sock");
    const service = createServer((request, response) => response.end(`you asked for ${request.url}`));
    await new Promise<void>((resolve) => service.listen(socket, resolve));
    const relay = await startLoopbackRelay(socket);
    try {
      const answer = await fetch(`http://127.0.0.1:${relay.port}/boot.ipxe`);
      expect(await answer.text()).toBe("you asked for /boot.ipxe");
    } finally {
      await relay.close();
      service.closeAllConnections();
      await new Promise((resolve) => service.close(resolve));
    }
    await expect(fetch(`http://127.0.0.1:${relay.port}/`)).rejects.toThrow();
  });
});
