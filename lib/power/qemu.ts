/**
 * @module power/qemu
 * The lab's virtual machines, through QEMU's QMP socket. "Off" keeps the QEMU process (so
 * the socket stays and the machine can be switched on again): the VM is stopped and reset,
 * so `cont` boots it from its firmware like a real power-on. `quit` is not used because it
 * would leave nothing to power on.
 */
import { createConnection, type Socket } from "node:net";
import { PowerConnectionError, PowerFatalError } from "./power-errors.ts";
import { describeTarget, done, type BootDevice, type PowerActionResult, type PowerDriver, type PowerState, type PowerTarget } from "./power-driver.ts";
import { QEMU_POWER_TYPE } from "./power-types.ts";

/** QMP run states in which the guest CPU runs. */
const RUNNING_STATES = new Set(["running", "debug"]);
/** QMP run states in which the VM is halted and `cont` would start it. */
const HALTED_STATES = new Set(["prelaunch", "paused", "shutdown", "suspended", "postmigrate", "finish-migrate", "inmigrate"]);

/** One QMP conversation over a unix socket: greeting, capabilities, then commands. */
export class QmpSession {
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  #buffer = "";
  #waiting: ((message: Record<string, unknown>) => void) | undefined;
  #failed: Error | undefined;
  #onFail: ((error: Error) => void) | undefined;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let newline: number;
      while ((newline = this.#buffer.indexOf("\n")) >= 0) {
        const line = this.#buffer.slice(0, newline).trim();
        this.#buffer = this.#buffer.slice(newline + 1);
        if (!line) continue;
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        // Asynchronous events (STOP, RESET, ...) interleave with replies: skip them.
        if ("event" in message) continue;
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.(message);
      }
    });
    const fail = (error: Error) => {
      this.#failed ??= error;
      this.#onFail?.(this.#failed);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("QMP socket closed")));
  }

  /** Connect to `path` and negotiate capabilities. */
  static async open(path: string, timeoutMs: number): Promise<QmpSession> {
    const socket = createConnection({ path });
    const session = new QmpSession(socket, timeoutMs);
    try {
      const greeting = await session.#next();
      if (!("QMP" in greeting)) throw new Error("no QMP greeting");
      await session.execute("qmp_capabilities");
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  /** Run one command; resolves with its `return` value. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.#next();
    this.#socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const message = await reply;
    if ("error" in message) {
      const error = message.error as { class?: string; desc?: string };
      throw new PowerFatalError(`QMP ${command} failed: ${error.desc ?? error.class ?? "unknown error"}`);
    }
    return message.return;
  }

  #next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      const timer = setTimeout(() => reject(new Error(`no QMP answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      this.#waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#onFail = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** The `qemu` power driver. */
export class QemuPowerDriver implements PowerDriver {
  readonly type = QEMU_POWER_TYPE.name;
  readonly packages = ["qemu-system-x86"];
  readonly #timeoutMs: number;

  constructor(options: { commandTimeoutMs?: number } = {}) {
    this.#timeoutMs = options.commandTimeoutMs ?? 10_000;
  }

  async powerOn(target: PowerTarget): Promise<PowerActionResult> {
    return this.#session(target, async (qmp) => {
      const status = await runState(qmp);
      if (RUNNING_STATES.has(status)) return done(`${describeTarget(target)} is on already`);
      // A guest that shut itself down must be reset, or `cont` would resume a dead machine.
      if (status === "shutdown") await qmp.execute("system_reset");
      await qmp.execute("cont");
      return done(`powered on ${describeTarget(target)} (QMP cont)`);
    });
  }

  async powerOff(target: PowerTarget): Promise<PowerActionResult> {
    return this.#session(target, async (qmp) => {
      await qmp.execute("stop");
      await qmp.execute("system_reset");
      return done(`powered off ${describeTarget(target)} (QMP stop and reset)`);
    });
  }

  async powerCycle(target: PowerTarget): Promise<PowerActionResult> {
    return this.#session(target, async (qmp) => {
      await qmp.execute("system_reset");
      if (!RUNNING_STATES.has(await runState(qmp))) await qmp.execute("cont");
      return done(`power-cycled ${describeTarget(target)} (QMP system_reset)`);
    });
  }

  async queryPower(target: PowerTarget): Promise<PowerState> {
    return this.#session(target, async (qmp) => {
      const status = await runState(qmp);
      if (RUNNING_STATES.has(status)) return "on";
      if (HALTED_STATES.has(status)) return "off";
      return "unknown";
    });
  }

  async setBootDevice(target: PowerTarget, device: BootDevice): Promise<PowerActionResult> {
    // QMP has no boot-order command; the lab's VMs boot from the network first and
    // Orchestra's boot script sends a deployed machine on to its disk.
    return { outcome: "not-supported", message: `QMP cannot set ${describeTarget(target)}'s boot device to ${device}: the lab VM boots from the network first` };
  }

  async #session<T>(target: PowerTarget, work: (qmp: QmpSession) => Promise<T>): Promise<T> {
    const path = target.params.qmp_socket;
    if (!path) throw new PowerFatalError(`qemu power of ${describeTarget(target)} has no qmp_socket`, {}, { code: "INVALID_POWER_PARAMETER" });
    let qmp: QmpSession;
    try {
      qmp = await QmpSession.open(path, this.#timeoutMs);
    } catch (error) {
      throw new PowerConnectionError(`cannot reach the VM's QMP socket ${path}: ${(error as Error).message}`, { socket: path }, { cause: error });
    }
    try {
      return await work(qmp);
    } catch (error) {
      if (error instanceof PowerFatalError) throw error;
      throw new PowerConnectionError(`QMP ${path}: ${(error as Error).message}`, { socket: path }, { cause: error });
    } finally {
      qmp.close();
    }
  }
}

async function runState(qmp: QmpSession): Promise<string> {
  const status = (await qmp.execute("query-status")) as { status?: string };
  return status.status ?? "unknown";
}
