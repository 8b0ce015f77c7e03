/**
 * @module cli/commands/serve
 * `orchestra serve`: the long-running server, until SIGINT or SIGTERM.
 */
import { join } from "node:path";
import { Command } from "commander";
import { CredentialStore } from "../../ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../ec2/credentials/secret-box.ts";
import { DEFAULT_TOPOLOGY } from "../../ec2/model/ec2-services.ts";
import { parseCidr } from "../../ec2/model/network-topology.ts";
import { Inventory } from "../../inventory/inventory.ts";
import { parseListenAddress } from "../../server/listen-address.ts";
import { resolveDataDir } from "../../store/data-dir.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl } from "../context.ts";
import { parseWholeNumber } from "../parse-options.ts";
import { OrchestraError } from "../../errors.ts";

/** The `serve` command. */
export function serveCommand(): Command {
  return new Command("serve")
    .description("run the Orchestra server: boot/metadata HTTP, background workers (Ctrl-C stops it)")
    .option("--boot-listen <host:port>", "boot, metadata and enlistment HTTP (and /healthz)", "0.0.0.0:5248")
    .option("--api-listen <host:port>", "the EC2-compatible API", "0.0.0.0:8773")
    .option("--region <name>", "the region the EC2 API presents (clients sign for it)", DEFAULT_TOPOLOGY.region)
    .option("--api-vpc-cidr <cidr>", "the provisioning network, shown to EC2 clients as the default VPC", DEFAULT_TOPOLOGY.vpcCidr)
    .option("--timeout-sweep-seconds <n>", "how often to fail machines stuck past their timeout", "10")
    .option("--log-level <level>", "trace, debug, info, warn or error", "info")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      const bootListen = parseListenAddress(o.bootListen, "--boot-listen");
      const apiListen = parseListenAddress(o.apiListen, "--api-listen");
      parseCidr(o.apiVpcCidr);
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(o.region)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --region ${JSON.stringify(o.region)}: lower-case letters, digits and '-'`);
      const sweep = parseWholeNumber("--timeout-sweep-seconds", o.timeoutSweepSeconds);
      // Loaded here, not at the top: every other command starts faster without the server.
      const [{ pino }, { startServer }] = await Promise.all([import("pino"), import("../../server/orchestra-server.ts")]);
      const logger = pino({ level: o.logLevel }, pino.destination(2));
      const dataDir = resolveDataDir(o.dataDir);
      const url = databaseUrl(o);
      const db = await openStore(dataDir, url ? { databaseUrl: url } : {});
      const credentials = new CredentialStore(db, secretBox(await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE))));
      const server = await startServer({
        inventory: new Inventory(db),
        logger,
        bootListen,
        timeoutSweepSeconds: Math.max(1, sweep),
        ec2: { listen: apiListen, credentials, topology: { region: o.region, vpcCidr: o.apiVpcCidr } },
      });
      const ec2 = server.addresses.ec2!;
      process.stderr.write(`orchestra: serving; data in ${dataDir}; boot http://${server.addresses.boot.host}:${server.addresses.boot.port}/; ec2 http://${ec2.host}:${ec2.port}/\n`);
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
