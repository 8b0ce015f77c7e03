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

/** Exit codes: 1 for a refused request, 2 for bad usage, 3 for an unexpected failure. */
export const EXIT = { refused: 1, usage: 2, internal: 3 } as const;

/** Build the program; tests run it in-process. */
export function buildProgram(): Command {
  const program = new Command("orchestra")
    .description("Orchestra: bare-metal provisioning with an EC2-compatible API")
    .option("--data-dir <dir>", "where Orchestra keeps its state (default: $ORCHESTRA_DATA_DIR, else /var/lib/orchestra as root, else ~/.local/share/orchestra)")
    .option("--database-url <url>", "use PostgreSQL (postgresql://...) instead of the embedded SQLite store (default: $ORCHESTRA_DATABASE_URL)")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  program.addCommand(machinesCommand());
  program.addCommand(instanceTypesCommand());
  program.addCommand(serveCommand());
  program.addCommand(credentialsCommand());
  program.addCommand(imagesCommand());
  program.addCommand(labCommand());
  program.addCommand(vendorDataCommand());
  program.addCommand(autosignCommand());
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
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
      // Commander has already printed the help or usage error.
      return error.exitCode === 0 ? 0 : EXIT.usage;
    }
    if (isOrchestraError(error)) {
      if (json) process.stderr.write(JSON.stringify({ error: { code: error.code, message: error.message } }) + "\n");
      else process.stderr.write(`orchestra: error: ${error.message}\n`);
      return EXIT.refused;
    }
    process.stderr.write(`orchestra: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
