/**
 * @module cli/program
 * The `orchestra` command line: one place that assembles the command groups and turns
 * errors into one clear line and a non-zero exit.
 */
import { Command, CommanderError } from "commander";
import { isOrchestraError } from "../errors.ts";
import { packageVersion } from "./package-version.ts";

/**
 * Exit codes: 1 for every error the user can act on (a refused request, a malformed command
 * line, a start-up failure such as a port in use: the printed code says which), 3 only for a
 * bug (an error Orchestra did not foresee).
 */
export const EXIT = { refused: 1, internal: 3 } as const;

/** Print an error in the one format every error has: `orchestra: error [CODE]: message`, or JSON on stderr. */
function printError(code: string, message: string, json: boolean): void {
  if (json) process.stderr.write(JSON.stringify({ error: { code, message } }) + "\n");
  else process.stderr.write(`orchestra: error [${code}]: ${message}\n`);
}

/**
 * Every command group: its name, what `orchestra --help` shows for it (tests/cli/command-table
 * checks both against the command itself), and how to load it. Only the group a command line
 * names is loaded: `orchestra --help` loaded all of them, hundreds of modules (execa, undici,
 * pg, node-forge), about 0.35 s of a 0.4 s start.
 */
export const COMMAND_TABLE: readonly { name: string; term: string; summary: string; load: () => Promise<Command> }[] = [
  { name: "machines", term: "machines", summary: "the inventory of physical machines", load: async () => (await import("./commands/machines.ts")).machinesCommand() },
  { name: "instance-types", term: "instance-types", summary: "instance types: minimum CPUs, memory and disk a machine must have", load: async () => (await import("./commands/instance-types.ts")).instanceTypesCommand() },
  { name: "serve", term: "serve [options]", summary: "run the Orchestra server: boot/metadata HTTP, background workers (Ctrl-C stops it)", load: async () => (await import("./commands/serve.ts")).serveCommand() },
  { name: "credentials", term: "credentials", summary: "access keys for the EC2 API and API keys for the MAAS API; each belongs to an account", load: async () => (await import("./commands/credentials.ts")).credentialsCommand() },
  { name: "images", term: "images", summary: "boot images: kernels, initrds and root images that machines network-boot", load: async () => (await import("./commands/images.ts")).imagesCommand() },
  { name: "lab", term: "lab", summary: "a virtual data centre on this host (root): a network namespace, orchestra serve, dnsmasq, and qemu VMs behind IPMI BMCs (ipmi_sim)", load: async () => (await import("./commands/lab.ts")).labCommand() },
  {
    name: "vendor-data",
    term: "vendor-data [options]",
    summary: "print cloud-init vendor-data that points deployed nodes at this site's apt proxy, TLS syslog and puppet server (for serve --vendor-data)",
    load: async () => (await import("./commands/vendor-data.ts")).vendorDataCommand(),
  },
  { name: "zones", term: "zones", summary: "availability zones: made by the first machine in them, removed only by an operator", load: async () => (await import("./commands/zones.ts")).zonesCommand() },
  { name: "instances", term: "instances", summary: "allocations of machines: what EC2 calls instances", load: async () => (await import("./commands/instances.ts")).instancesCommand() },
  {
    name: "autosign",
    term: "autosign [options] <certname>",
    summary: "puppetserver's autosign policy: sign (exit 0) only a CSR carrying the one-time challenge Orchestra issued to that instance",
    load: async () => (await import("./commands/autosign.ts")).autosignCommand(),
  },
  { name: "fanout", term: "fanout", summary: "peer-to-peer image fan-out (BitTorrent) for deployments: see docs/deploy.md", load: async () => (await import("./commands/fanout.ts")).fanoutCommand() },
  { name: "users", term: "users", summary: "operators of the web dashboard (orchestra serve --dashboard-listen)", load: async () => (await import("./commands/users.ts")).usersCommand() },
];

/** The global options that take a value: the command group is the first word that is not one of these or an option. */
const GLOBAL_VALUE_OPTIONS = new Set(["--data-dir", "--database-url"]);

/** The command group `argv` names, if any. */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return undefined;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    // `orchestra help machines` shows the machines group's help: that group is the one to load.
    else if (!arg.startsWith("-")) return arg === "help" ? (commandNamed(argv.slice(i + 1)) ?? arg) : arg;
  }
  return undefined;
}

/**
 * Build the program for `argv`: the group it names is loaded whole, every other is a stub
 * with its name and summary (enough for the command list and for "unknown command").
 * Without argv, every group is loaded.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const named = argv ? commandNamed(argv) : undefined;
  const program = new Command("orchestra")
    .description("Orchestra: bare-metal provisioning with an EC2-compatible API")
    .version(packageVersion(), "--version", "print the version and exit")
    .option("--data-dir <dir>", "where Orchestra keeps its state (default: $ORCHESTRA_DATA_DIR, else /var/lib/orchestra as root, else ~/.local/share/orchestra)")
    .option("--database-url <url>", "use PostgreSQL (postgresql://...) instead of the embedded SQLite store (default: $ORCHESTRA_DATABASE_URL)")
    .exitOverride();
  for (const entry of COMMAND_TABLE) {
    program.addCommand(argv === undefined || entry.name === named ? await entry.load() : new Command(entry.name).description(entry.summary));
  }
  const terms = new Map(COMMAND_TABLE.map((entry) => [entry.name, entry.term]));
  const help = program.createHelp();
  program.configureHelp({ subcommandTerm: (command) => (command.parent === program ? terms.get(command.name()) : undefined) ?? help.subcommandTerm(command) });
  // Commander's own messages are kept, not printed: runCli prints them in Orchestra's format.
  const quiet = { outputError: () => undefined };
  const configure = (command: Command) => {
    command.exitOverride().configureOutput(quiet);
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Run the CLI with `argv` (user arguments only); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  const json = argv.includes("--json");
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end in a CommanderError too, with exit code 0.
      if (error.exitCode === 0) return 0;
      const missing = ["commander.missingMandatoryOptionValue", "commander.missingArgument", "commander.optionMissingArgument"].includes(error.code);
      const message = error.code === "commander.help" ? "no command given (the commands are listed above)" : error.message.replace(/^error: /, "");
      printError(missing ? "MISSING_ARGUMENT" : "USAGE", `${message}${json || error.code === "commander.help" ? "" : " (add --help for usage)"}`, json);
      return EXIT.refused;
    }
    if (isOrchestraError(error)) {
      printError(error.code, error.message, json);
      return EXIT.refused;
    }
    // Not foreseen: a bug. One line first, so the cause is not lost in the stack.
    printError("INTERNAL", `unexpected failure (a bug; please report it): ${(error as Error)?.message ?? String(error)}`, json);
    if (!json) process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    return EXIT.internal;
  }
}
