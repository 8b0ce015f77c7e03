/**
 * SIGKILL of `orchestra serve` in the middle of a deployment loses nothing: the real deploy
 * program (busybox, on this host, a file as the disk) keeps retrying its calls, a new serve
 * on the same data directory answers them, and the deployment either completes its write or
 * fails visibly with a reason; it never stays silently in between.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ResultPromise } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { deploymentOf, type Deployment } from "../../lib/deploy/deployment-rows.ts";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { startOrchestra } from "../helpers/cli.ts";
import { freeTcpPort } from "../helpers/free-port.ts";
import { addOsImage, deployingMachine, gz, makeDiskImage, runDeployScript } from "./deploy-fixture.ts";

const started: ResultPromise[] = [];
let dir: string | undefined;

afterAll(async () => {
  for (const serve of started) {
    try {
      if (serve.pid) process.kill(serve.pid, "SIGTERM");
    } catch {
      // Gone already (the one this test killed).
    }
  }
  await Promise.all(started.map((serve) => serve.catch(() => undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Start serve and wait for it; answers the child inside an object (a ResultPromise is thenable: returning it bare would wait for its exit). */
async function serve(dataDir: string, port: number): Promise<{ child: ResultPromise }> {
  const child = startOrchestra(["serve", "--data-dir", dataDir, "--boot-listen", `127.0.0.1:${port}`, "--api-listen", "127.0.0.1:0", "--log-level", "error"]);
  started.push(child);
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
    if (ok) return { child };
    await sleep(100);
  }
  throw new Error("orchestra serve did not answer /healthz within 15 s");
}

describe("orchestra serve killed mid-deployment", () => {
  it("loses nothing: after a restart the deployment completes or fails visibly", async () => {
    dir = await mkdtemp(join(tmpdir(), "orchestra-serve-kill-"));
    const dataDir = join(dir, "data");
    const setup = new Inventory(await openStore(dataDir));
    const image = await addOsImage(dataDir, dir, gz((await makeDiskImage(dir, { bulkMiB: 40 })).raw));
    const { systemId, token } = await deployingMachine(setup, image);
    await setup.db.close();

    const port = await freeTcpPort();
    const { child: first } = await serve(dataDir, port);
    const node = runDeployScript(dir, `http://127.0.0.1:${port}`, token, { timeoutMs: 240_000 });

    // Kill the server as soon as the node has its plan: it is downloading or writing now.
    const watcher = new Inventory(await openStore(dataDir));
    let seen: Deployment | undefined;
    for (let i = 0; i < 600 && seen?.phase !== "writing"; i++) {
      seen = await deploymentOf(watcher.db, systemId);
      if (seen?.phase !== "writing") await sleep(10);
    }
    expect(seen?.phase).toBe("writing");
    process.kill(first.pid!, "SIGKILL");
    const ended = await first;
    expect(ended.signal).toBe("SIGKILL");
    expect((await deploymentOf(watcher.db, systemId))?.phase).toBe("writing");

    await sleep(1000);
    await serve(dataDir, port);
    const run = await node;
    const after = await deploymentOf(watcher.db, systemId);
    const machine = await watcher.getMachine(systemId);
    await watcher.db.close();
    // Either outcome is visible, with the node's log; nothing is left half-way.
    if (after?.phase === "written") {
      expect(run.exitCode, run.all).toBe(0);
      expect(machine.status).toBe("deploying");
      expect(after.log).toContain("image written and verified");
    } else {
      expect(after?.phase, run.all).toBe("failed");
      expect(run.exitCode).toBe(1);
      expect(machine.status).toBe("failed_deployment");
      expect(machine.statusMessage).toMatch(/^deployment failed: .+/);
    }
  }, 300_000);
});
