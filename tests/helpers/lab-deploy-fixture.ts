/**
 * The steps every lab deployment test takes before its first RunInstances, in one place: wait
 * helpers that show the consoles and serve's log on failure, the OS image built (or taken
 * from the cache) while the VMs enlist, the VMs accepted and commissioned through their BMCs, and
 * an AWS CLI with its own EC2 credentials aimed at the lab's API relay.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { expect } from "vitest";
import type { MachineView } from "../../lib/inventory/machine-view.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";
import { consoleTails, orchestraCli, waitForMachines } from "./lab.ts";

const run = promisify(execFile);

/** The helpers for one lab (its data dir, and its status once it is up). */
export function labDeployFixture(dataDir: string, status: () => LabStatus | undefined) {
  /** Poll `check` every `everyMs` until it answers something, or fail with `what`, the consoles and serve's log. */
  async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await check();
      if (value !== undefined) return value;
      await sleep(everyMs);
    }
    throw new Error(`timed out waiting for ${what}\n${consoleTails(status())}\n--- serve log:\n${readFileSync(join(dataDir, "lab", "serve.log"), "utf8").slice(-3000)}`);
  }

  async function machine(systemId: string): Promise<MachineView> {
    const show = await orchestraCli(dataDir, "machines", "show", systemId, "--json");
    expect(show.exitCode, show.all).toBe(0);
    return JSON.parse(show.stdout) as MachineView;
  }

  /** Build the OS image while the lab's `count` VMs enlist, then accept and commission them all at once. */
  async function commissionedVms(count: number): Promise<{ image: { id: string; role: string; rootPartition: number; release?: string }; machines: MachineView[] }> {
    const [built, enlisted] = await Promise.all([orchestraCli(dataDir, "images", "build-os", "--json"), waitForMachines(dataDir, count, 240_000)]);
    expect(built.exitCode, built.all).toBe(0);
    expect(enlisted.length, consoleTails(status())).toBe(count);
    for (const m of enlisted) {
      const accept = await orchestraCli(dataDir, "machines", "accept", m.systemId);
      expect(accept.exitCode, accept.all).toBe(0);
    }
    await waitFor("commissioning to finish", 300_000 * count, async () => {
      const seen = await Promise.all(enlisted.map((e) => machine(e.systemId)));
      for (const m of seen) expect(m.status, m.statusMessage).not.toBe("failed_commissioning");
      return seen.every((m) => m.status === "ready") ? seen : undefined;
    });
    return { image: JSON.parse(built.stdout), machines: enlisted };
  }

  /** Build the OS image while the lab's one VM enlists, then accept and commission it. */
  async function commissionedVm(): Promise<{ image: { id: string; role: string; rootPartition: number; release?: string }; machine: MachineView }> {
    const { image, machines } = await commissionedVms(1);
    return { image, machine: machines[0]! };
  }

  /** Debian's AWS CLI with fresh credentials of account `account`: `aws("run-instances", ...)` answers the parsed JSON. */
  async function ec2Client(account = "e2e"): Promise<(...args: string[]) => Promise<any>> {
    const key = JSON.parse((await orchestraCli(dataDir, "credentials", "create", "--account", account, "--json")).stdout) as { accessKeyId: string; secretAccessKey: string };
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: dataDir,
      AWS_ACCESS_KEY_ID: key.accessKeyId,
      AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
      AWS_DEFAULT_REGION: "orchestra",
      AWS_CONFIG_FILE: join(dataDir, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dataDir, "no-aws-credentials"),
      AWS_PAGER: "",
      AWS_MAX_ATTEMPTS: "1",
    };
    return async (...args: string[]) => JSON.parse((await run("/usr/bin/aws", ["ec2", ...args, "--endpoint-url", status()!.apiUrl!, "--output", "json"], { env, encoding: "utf8" })).stdout || "{}");
  }

  return { waitFor, machine, commissionedVms, commissionedVm, ec2Client };
}
