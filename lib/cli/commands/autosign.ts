/**
 * @module cli/commands/autosign
 * `orchestra autosign CERTNAME`: puppetserver's policy executable. Reads the CSR on stdin;
 * exits 0 (sign) only for a fresh challenge Orchestra issued to that instance, else 1.
 */
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import { decideAutosign } from "../../puppet/autosign-policy.ts";
import { withInventory, type GlobalOptions } from "../context.ts";

const MAX_CSR_BYTES = 64 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_CSR_BYTES) throw new OrchestraError("PKI_INVALID", `a CSR is at most ${MAX_CSR_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The `autosign` command. */
export function autosignCommand(): Command {
  return new Command("autosign")
    .description("puppetserver's autosign policy: sign (exit 0) only a CSR carrying the one-time challenge Orchestra issued to that instance")
    .argument("<certname>", "the name the CSR asks for (the instance id)")
    .action(async (certname: string, _o: unknown, command: Command) => {
      const csr = await readStdin();
      const decision = await withInventory(command.optsWithGlobals<GlobalOptions>(), (inventory) => decideAutosign(inventory.db, certname, csr));
      process.stderr.write(`orchestra autosign: ${certname}: ${decision.sign ? "signed" : `not signed (${decision.reason})`}\n`);
      if (!decision.sign) throw new OrchestraError("PKI_INVALID", `not signing ${certname}: ${decision.reason}`);
    });
}
