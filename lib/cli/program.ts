/**
 * @module cli/program
 * The `orchestra` command line: one place that assembles the command groups and turns
 * errors into one clear line and a non-zero exit.
 */
import { Command, CommanderError } from "commander";
import { isOrchestraError } from "../errors.ts";
import { autosignCommand } from "./commands/autosign.ts";
import { credentialsCommand } from "./commands/credentials.ts";
import { imagesCommand } from "./commands/images.ts";
import { instanceTypesCommand } from "./commands/instance-types.ts";
import { labCommand } from "./commands/lab.ts";
import { machinesCommand } from "./commands/machines.ts";
import { serveCommand } from "./commands/serve.ts";
import { vendorDataCommand } from "./commands/vendor-data.ts";
import { zonesCommand } from "./commands/zones.ts";
import { instancesCommand } from "./commands/instances.ts";
import { usersCommand } from "./commands/users.ts";
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

/** Build the program; tests run it in-process. */
export function buildProgram(): Command {
  const program = new Command("orchestra")
    .description("Orchestra: bare-metal provisioning with an EC2-compatible API")
    .version(packageVersion(), "--version", "print the version and exit")
    .option("--data-dir <dir>", "where Orchestra keeps its state (default: $ORCHESTRA_DATA_DIR, else /var/lib/orchestra as root, else ~/.local/share/orchestra)")
    .option("--database-url <url>", "use PostgreSQL (postgresql://...) instead of the embedded SQLite store (default: $ORCHESTRA_DATABASE_URL)")
    .exitOverride();
  program.addCommand(machinesCommand());
  program.addCommand(instanceTypesCommand());
  program.addCommand(serveCommand());
  program.addCommand(credentialsCommand());
  program.addCommand(imagesCommand());
  program.addCommand(labCommand());
  program.addCommand(vendorDataCommand());
  program.addCommand(zonesCommand());
  program.addCommand(instancesCommand());
  program.addCommand(autosignCommand());
  program.addCommand(usersCommand());
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
  const program = buildProgram();
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
