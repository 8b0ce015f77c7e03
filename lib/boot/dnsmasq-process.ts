/**
 * @module boot/dnsmasq-process
 * dnsmasq as a supervised child of `orchestra serve`: checked with `dnsmasq --test` before
 * it starts, its log read line by line into Orchestra's log, restarted with back-off if it
 * dies, stopped by pid on close.
 */
import { execa, type ResultPromise } from "execa";
import type { Logger } from "pino";
import { OrchestraError } from "../errors.ts";
import { parseDnsmasqLine } from "./dnsmasq-log.ts";

/** Ask dnsmasq itself whether a configuration file is valid; throws DHCP_CONFIG_INVALID with its words if not. */
export async function checkDnsmasqConfig(configPath: string, binary = "dnsmasq"): Promise<void> {
  let result;
  try {
    result = await execa(binary, ["--test", `--conf-file=${configPath}`], { reject: false, all: true });
  } catch (error) {
    throw new OrchestraError("PREREQUISITE_MISSING", `cannot run ${binary}: install dnsmasq (or dnsmasq-base)`, {}, { cause: error });
  }
  if (result.failed && result.exitCode === undefined) throw new OrchestraError("PREREQUISITE_MISSING", `cannot run ${binary}: install dnsmasq (or dnsmasq-base)`);
  if (result.exitCode !== 0) throw new OrchestraError("DHCP_CONFIG_INVALID", `dnsmasq refuses ${configPath}: ${String(result.all).trim()}`, { configPath });
}

/** A running, supervised dnsmasq. */
export interface DnsmasqSupervisor {
  /** The current child's pid, if one is running. */
  readonly pid: () => number | undefined;
  /** Stop supervising and stop the child; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Start dnsmasq with `configPath` and keep it running until `stop()`. */
export function superviseDnsmasq(configPath: string, logger: Logger, binary = "dnsmasq"): DnsmasqSupervisor {
  const log = logger.child({ service: "dnsmasq" });
  let child: ResultPromise | undefined;
  let stopping = false;
  let backoffMs = 1000;
  let restartTimer: NodeJS.Timeout | undefined;
  let running = false;
  // With log-dhcp every line of one exchange carries its transaction number; remember the MAC.
  const macByXid = new Map<string, string>();

  const onLine = (line: string) => {
    const event = parseDnsmasqLine(line);
    switch (event.kind) {
      case "request":
        macByXid.set(event.xid, event.mac);
        if (macByXid.size > 1000) macByXid.delete(macByXid.keys().next().value!);
        log.debug({ mac: event.mac }, event.message);
        break;
      case "lease":
        log.info({ mac: event.mac, address: event.address }, "DHCP lease");
        break;
      case "tftp-sent":
        log.info({ file: event.file, address: event.address }, "TFTP transfer");
        break;
      case "unknown-architecture":
        log.warn({ mac: event.xid ? macByXid.get(event.xid) : undefined, arch: event.arch }, event.message);
        break;
      case "error":
        log.error(event.message);
        break;
      default:
        log.debug(event.message);
    }
  };

  const start = () => {
    const startedAt = Date.now();
    child = execa(binary, ["--keep-in-foreground", `--conf-file=${configPath}`, "--log-facility=-"], { reject: false, buffer: false, stdin: "ignore" });
    running = true;
    log.info({ pid: child.pid }, "dnsmasq started");
    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine(line);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void child.then((result) => {
      running = false;
      if (stopping) return;
      // A child that ran a while was healthy: start the back-off over.
      if (Date.now() - startedAt > 60_000) backoffMs = 1000;
      log.error({ exitCode: result.exitCode, signal: result.signal, retryInMs: backoffMs }, "dnsmasq exited; restarting");
      restartTimer = setTimeout(start, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 30_000);
    });
  };
  start();

  return {
    pid: () => (running ? child?.pid : undefined),
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (!child || !running) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child?.kill("SIGKILL"), 5000);
      await child;
      clearTimeout(killer);
      log.info("dnsmasq stopped");
    },
  };
}
