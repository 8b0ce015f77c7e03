/**
 * @module cli/commands/fanout
 * `orchestra fanout tracker`: the fan-out tracker (lib/fanout/tracker) over the store, as its
 * own process. `orchestra serve --fanout` starts it and writes its pid to
 * <data dir>/fanout/tracker.pid; an operator (or a test) may stop it at any time, and
 * deployments then fetch their images over HTTP.
 */
import { Command } from "commander";
import { deploymentAuthorizer } from "../../deploy/fanout-torrents.ts";
import { OrchestraError } from "../../errors.ts";
import { startFanoutTracker } from "../../fanout/tracker/fanout-tracker.ts";
import { Inventory } from "../../inventory/inventory.ts";
import { humanLogStream } from "../../server/human-log.ts";
import { addLogOptions, checkLogOptions } from "../log-options.ts";
import { parseListenAddress } from "../../server/listen-address.ts";
import { createServerLogger, serverLogDestination } from "../../server/server-logger.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl, dataDirFor } from "../context.ts";

/** The `fanout` command. */
export function fanoutCommand(): Command {
  const fanout = new Command("fanout").description("peer-to-peer image fan-out (BitTorrent) for deployments: see docs/deploy.md");
  const trackerCommand = fanout
    .command("tracker")
    .description("run the fan-out tracker: answers only peers holding a live deployment token of the image they announce (orchestra serve --fanout starts it)")
    .option("--listen <host:port>", "where the tracker listens", "0.0.0.0:5249")
    .option("--interval-seconds <n>", "how often peers re-announce", "15");
  addLogOptions(trackerCommand)
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const listen = parseListenAddress(o.listen, "--listen");
      const interval = Number(o.intervalSeconds);
      if (!Number.isInteger(interval) || interval < 1 || interval > 3600) throw new OrchestraError("INVALID_ARGUMENT", `invalid --interval-seconds ${JSON.stringify(o.intervalSeconds)}: 1-3600`);
      const format = checkLogOptions(o);
      const logger = createServerLogger(o.logLevel, format === "text" ? humanLogStream(process.stderr) : serverLogDestination(2)).child({ service: "fanout-tracker" });
      const dataDir = dataDirFor(o);
      const url = databaseUrl(o);
      const db = await openStore(dataDir, url ? { databaseUrl: url } : {});
      // The server's seeder joins every swarm with this key (handed over by orchestra serve).
      const seederKey = process.env.ORCHESTRA_FANOUT_SEEDER_KEY || undefined;
      const tracker = await startFanoutTracker({ host: listen.host, port: listen.port, intervalSeconds: interval, log: logger, authorize: deploymentAuthorizer(new Inventory(db), dataDir, seederKey) });
      logger.info({ url: tracker.url, pid: process.pid }, `fan-out tracker listening on ${tracker.url} (pid ${process.pid})`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await tracker.close();
      await db.close();
    });
  return fanout;
}
