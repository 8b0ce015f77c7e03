/**
 * @module cli/commands/serve
 * `orchestra serve`: the long-running server, until SIGINT or SIGTERM.
 */
import { Command } from "commander";
import { Inventory } from "../../inventory/inventory.ts";
import { parseListenAddress } from "../../server/listen-address.ts";
import { resolveDataDir } from "../../store/data-dir.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl } from "../context.ts";
import { parseWholeNumber } from "../parse-options.ts";

/** The `serve` command. */
export function serveCommand(): Command {
  return new Command("serve")
    .description("run the Orchestra server: boot/metadata HTTP, background workers (Ctrl-C stops it)")
    .option("--boot-listen <host:port>", "boot, metadata and enlistment HTTP (and /healthz)", "0.0.0.0:5248")
    .option("--timeout-sweep-seconds <n>", "how often to fail machines stuck past their timeout", "10")
    .option("--log-level <level>", "trace, debug, info, warn or error", "info")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const bootListen = parseListenAddress(o.bootListen, "--boot-listen");
      const sweep = parseWholeNumber("--timeout-sweep-seconds", o.timeoutSweepSeconds);
      // Loaded here, not at the top: every other command starts faster without the server.
      const [{ pino }, { startServer }] = await Promise.all([import("pino"), import("../../server/orchestra-server.ts")]);
      const logger = pino({ level: o.logLevel }, pino.destination(2));
      const dataDir = resolveDataDir(o.dataDir);
      const url = databaseUrl(o);
      const db = await openStore(dataDir, url ? { databaseUrl: url } : {});
      const server = await startServer({ inventory: new Inventory(db), logger, bootListen, timeoutSweepSeconds: Math.max(1, sweep) });
      process.stderr.write(`orchestra: serving; data in ${dataDir}; boot http://${server.addresses.boot.host}:${server.addresses.boot.port}/\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
      await db.close();
      process.stderr.write("orchestra: stopped\n");
    });
}
