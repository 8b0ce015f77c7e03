/**
 * A real qemu-system-x86_64 held before its first instruction (`-S`, QMP "prelaunch"): no
 * guest is needed for tests whose subject is the VM's power, driven over its QMP socket.
 */
import { execa, type ResultPromise } from "execa";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QmpSession } from "../../lib/power/qemu.ts";

/** A held VM: its QMP socket, a scratch directory, and how to stop it. */
export interface HeldQemu {
  readonly dir: string;
  readonly socket: string;
  stop(): Promise<void>;
}

/** Start a held VM; resolves once its QMP socket exists. */
export async function startHeldQemu(): Promise<HeldQemu> {
  const dir = mkdtempSync(join(tmpdir(), "orchestra-qemu-"));
  const socket = join(dir, "qmp.sock");
  const vm: ResultPromise = execa("qemu-system-x86_64", ["-qmp", `unix:${socket},server,nowait`, "-S", "-display", "none", "-nodefaults", "-m", "64", "-accel", "tcg"], { reject: false, stdin: "ignore" });
  let exited = false;
  void vm.then(() => (exited = true));
  const stop = async () => {
    if (!exited) {
      vm.kill("SIGTERM");
      await vm;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (exited || Date.now() > deadline) {
      const stderr = exited ? String((await vm).stderr) : "no QMP socket within 10 s";
      await stop();
      throw new Error(`qemu did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { dir, socket, stop };
}

/** The VM's run state, read over a QMP session of our own. */
export async function runState(socket: string): Promise<string> {
  const qmp = await QmpSession.open(socket, 5_000);
  try {
    return ((await qmp.execute("query-status")) as { status: string }).status;
  } finally {
    qmp.close();
  }
}
