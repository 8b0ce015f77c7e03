/**
 * @module testing/units/unit-machine
 * A unit: a systemd-nspawn container with systemd as PID 1, booted from the cached root as a
 * throwaway overlay (`--volatile=overlay`: every write lands in a tmpfs and is gone when it
 * stops), in a network namespace of its own plugged into the unit network. Commands run
 * inside through `nsenter -t <its PID 1> -a` (machinectl needs a host systemd, which this
 * machine lacks). Stopped by pid; nothing of it outlives stop().
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import type { NetworkMember } from "./unit-network.ts";

/** A directory of the host seen inside the unit. */
export interface Bind {
  host: string;
  unit: string;
  readOnly?: boolean;
}

/** What a command run inside the unit returned. */
export interface UnitExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface UnitExecOptions {
  cwd?: string;
  /** The whole environment (nothing of the test process's leaks in). */
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

const UNIT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A booted unit. */
export class UnitMachine {
  readonly name: string;
  readonly member: NetworkMember;
  /** pid of systemd-nspawn on the host. */
  readonly nspawnPid: number;
  /** Host pid of the unit's PID 1 (systemd). */
  readonly leaderPid: number;
  readonly #nspawn: ResultPromise;
  readonly #exited: () => boolean;
  #stopped = false;

  private constructor(name: string, member: NetworkMember, nspawn: ResultPromise, leaderPid: number, exited: () => boolean) {
    this.#exited = exited;
    this.name = name;
    this.member = member;
    this.#nspawn = nspawn;
    this.nspawnPid = nspawn.pid!;
    this.leaderPid = leaderPid;
  }

  /** Boots `root` as a throwaway overlay in `member`'s namespace; resolves once systemd is up. */
  static async boot(root: string, name: string, member: NetworkMember, binds: readonly Bind[] = []): Promise<UnitMachine> {
    const argv = [
      "--boot", `--directory=${root}`, "--volatile=overlay", `--machine=${name}`, `--hostname=${name}`,
      // No host systemd to register with; --keep-unit avoids "Failed to open system bus".
      "--register=no", "--keep-unit", "--console=passive",
      `--network-namespace-path=/run/netns/${member.namespace}`,
      // A machine's root may manage its network (dnsmasq refuses to start without it); nspawn
      // grants it only with --private-network, and the unit's namespace is its own anyway.
      "--capability=CAP_NET_ADMIN",
      ...binds.map((b) => `--${b.readOnly === true ? "bind-ro" : "bind"}=${b.host}:${b.unit}`),
    ];
    const nspawn = execa("systemd-nspawn", argv, { stdin: "ignore", buffer: false, stdout: "ignore", stderr: "pipe", reject: false });
    let exited = false;
    void nspawn.then(() => { exited = true; });
    let stderr = "";
    nspawn.stderr!.on("data", (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    const leaderPid = await waitForChild(nspawn.pid!, () => exited, () => stderr);
    const unit = new UnitMachine(name, member, nspawn, leaderPid, () => exited);
    try {
      await unit.#waitForSystemd(() => stderr);
      // Without its own name in /etc/hosts squid hangs at start looking it up.
      await unit.writeFile("/etc/hosts", `127.0.0.1 localhost\n127.0.1.1 ${name}\n${member.unitAddress ?? "127.0.1.1"} ${name}\n`);
    } catch (error) {
      await unit.stop();
      throw error;
    }
    return unit;
  }

  /** Runs `argv` inside the unit (all its namespaces, its root). */
  async exec(argv: readonly string[], options: UnitExecOptions = {}): Promise<UnitExecResult> {
    // nsenter's --wd opens its path before entering the unit's mount namespace: cd inside instead.
    const inCwd = options.cwd === undefined ? argv : ["/bin/sh", "-c", 'cd "$0" && exec "$@"', options.cwd, ...argv];
    const nsenterArgs = ["-t", String(this.leaderPid), "-a", "--", ...inCwd];
    const result = await execa("nsenter", nsenterArgs, {
      env: options.env ?? { PATH: UNIT_PATH, LANG: "C.UTF-8" },
      extendEnv: false,
      reject: false,
      input: options.input ?? "",
      timeout: options.timeoutMs ?? 120_000,
    });
    return {
      exitCode: result.exitCode ?? (result.timedOut ? 124 : 1),
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
      timedOut: result.timedOut,
    };
  }

  /** Runs `argv` inside the unit and returns stdout; throws with its stderr when it fails. */
  async sh(argv: readonly string[], options: UnitExecOptions = {}): Promise<string> {
    const result = await this.exec(argv, options);
    if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} in ${this.name} exited ${result.exitCode}: ${result.stderr || result.stdout}`);
    return result.stdout;
  }

  /** Writes a file inside the unit (through the unit's own `cat`, so its overlay gets it). */
  async writeFile(path: string, content: string): Promise<void> {
    await this.sh(["sh", "-c", 'cat > "$1"', "sh", path], { input: content });
  }

  /** Reads a file inside the unit. */
  async readFile(path: string): Promise<string> {
    return await this.sh(["cat", path]);
  }

  /**
   * Stops the unit: `systemctl poweroff`-like SIGTERM to nspawn first, then, after
   * `graceMs`, SIGKILL to its PID 1, which takes every process of the unit with it. Resolves
   * once nspawn has exited (its overlay and mounts gone with it).
   */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (!this.#exited()) {
      try {
        process.kill(this.nspawnPid, "SIGTERM");
      } catch {
        // already gone
      }
      const exited = await Promise.race([this.#nspawn.then(() => true), sleep(graceMs).then(() => false)]);
      if (!exited) {
        try {
          process.kill(this.leaderPid, "SIGKILL");
        } catch {
          // already gone
        }
        const gone = await Promise.race([this.#nspawn.then(() => true), sleep(15_000).then(() => false)]);
        if (!gone) process.kill(this.nspawnPid, "SIGKILL");
      }
    }
    await this.#nspawn;
  }

  async #waitForSystemd(stderr: () => string): Promise<void> {
    const deadline = Date.now() + 120_000;
    let last = "";
    while (Date.now() < deadline) {
      const result = await this.exec(["systemctl", "is-system-running"], { timeoutMs: 20_000 });
      last = result.stdout.trim();
      if (last === "running" || last === "degraded") return;
      if (this.#exited()) break;
      await sleep(250);
    }
    throw new Error(`unit ${this.name} did not boot (systemd says "${last}"): ${stderr()}`);
  }
}

/** The pid of `parent`'s first child (nspawn's child is the container's PID 1). */
async function waitForChild(parent: number, exited: () => boolean, stderr: () => string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`systemd-nspawn exited at start: ${stderr()}`);
    try {
      for (const task of readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
        // nspawn forks an intermediate process first; PID 1 of the unit is the one running systemd.
        const comm = readFileSync(`/proc/${task}/comm`, "utf8").trim();
        if (comm === "systemd" || comm === "init") return Number(task);
      }
    } catch {
      // not there yet
    }
    await sleep(100);
  }
  throw new Error(`systemd-nspawn ${parent} started no PID 1: ${stderr()}`);
}
