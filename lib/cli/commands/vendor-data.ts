/**
 * @module cli/commands/vendor-data
 * `orchestra vendor-data`: render Orchestra's client setup for deployed nodes (apt proxy,
 * TLS syslog, puppet server, EC2 endpoint override) as cloud-init vendor-data, for `serve --vendor-data FILE`.
 */
import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import { renderVendorData, type VendorDataInput } from "../../metadata/vendor-data.ts";

/** The `vendor-data` command. */
export function vendorDataCommand(): Command {
  return new Command("vendor-data")
    .description("print cloud-init vendor-data that points deployed nodes at this site's apt proxy, TLS syslog and puppet server (for serve --vendor-data)")
    .option("--apt-proxy <url>", "the apt caching proxy, e.g. http://192.0.2.1:3128")
    .option("--syslog <host:port>", "the TLS syslog server, e.g. orchestra.example:6514")
    .option("--syslog-ca <file>", "the PEM CA certificate that signed the syslog server's certificate (with --syslog)")
    .option("--puppet-server <host>", "the puppet server's name")
    .option("--ec2-endpoint <url>", "this server's EC2 API as nodes reach it, e.g. http://192.0.2.1:8773: set as AWS_ENDPOINT_URL_EC2 for shells and services (Juju's aws provider)")
    .action(async (o: { aptProxy?: string; syslog?: string; syslogCa?: string; puppetServer?: string; ec2Endpoint?: string }) => {
      if ((o.syslog === undefined) !== (o.syslogCa === undefined)) throw new OrchestraError("INVALID_ARGUMENT", "--syslog and --syslog-ca go together");
      const input: { -readonly [K in keyof VendorDataInput]: VendorDataInput[K] } = {};
      if (o.aptProxy !== undefined) input.aptProxyUrl = o.aptProxy;
      if (o.puppetServer !== undefined) input.puppetServer = o.puppetServer;
      if (o.ec2Endpoint !== undefined) input.ec2Endpoint = o.ec2Endpoint;
      if (o.syslog !== undefined) {
        const match = /^(.+):(\d{1,5})$/.exec(o.syslog);
        if (!match) throw new OrchestraError("INVALID_ARGUMENT", `invalid --syslog ${JSON.stringify(o.syslog)}: expected host:port`);
        const caPem = await readFile(o.syslogCa!, "utf8").catch((error: Error) => {
          throw new OrchestraError("INVALID_ARGUMENT", `cannot read --syslog-ca ${JSON.stringify(o.syslogCa)}: ${error.message}`);
        });
        input.syslog = { host: match[1]!, port: Number(match[2]), caPem };
      }
      const text = renderVendorData(input);
      if (!text) throw new OrchestraError("MISSING_ARGUMENT", "nothing to set up: give --apt-proxy, --syslog with --syslog-ca, --puppet-server or --ec2-endpoint");
      process.stdout.write(text);
    });
}
