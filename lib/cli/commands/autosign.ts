/**
 * @module cli/commands/autosign
 * `orchestra autosign CERTNAME`: puppetserver's policy executable. Reads the CSR on stdin;
 * exits 0 (sign) only for a fresh challenge Orchestra issued to that instance, else 1.
 */
import { Command } from "commander";
import { OrchestraError } from "../../errors.ts";
import { decideAutosign, type AutosignDecision } from "../../puppet/autosign-policy.ts";
import { AUTOSIGN_PATH } from "../../puppet/autosign-route.ts";
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

/** The decision of a running server's autosign route. */
async function askServer(url: string, certname: string, csr: string): Promise<AutosignDecision> {
  const response = await fetch(new URL(`${AUTOSIGN_PATH}/${encodeURIComponent(certname)}`, url), { method: "POST", headers: { "content-type": "application/x-pem-file" }, body: csr }).catch((error: Error) => {
    throw new OrchestraError("INTERNAL", `cannot reach ${url}: ${error.message}`);
  });
  const body = (await response.json().catch(() => ({}))) as Partial<AutosignDecision>;
  return { sign: response.status === 200 && body.sign === true, reason: (body.reason ?? `HTTP ${response.status}`) as AutosignDecision["reason"] };
}

/** The `autosign` command. */
export function autosignCommand(): Command {
  return new Command("autosign")
    .description("puppetserver's autosign policy: sign (exit 0) only a CSR carrying the one-time challenge Orchestra issued to that instance")
    .argument("<certname>", "the name the CSR asks for (the instance id)")
    .option("--url <url>", "ask a running server (its boot listener, e.g. http://127.0.0.1:5248) instead of opening the store: for a puppetserver that runs as another user")
    .action(async (certname: string, o: { url?: string }, command: Command) => {
      const csr = await readStdin();
      const decision = o.url !== undefined
        ? await askServer(o.url, certname, csr)
        : await withInventory(command.optsWithGlobals<GlobalOptions>(), (inventory) => decideAutosign(inventory.db, certname, csr));
      process.stderr.write(`orchestra autosign: ${certname}: ${decision.sign ? "signed" : `not signed (${decision.reason})`}\n`);
      if (!decision.sign) throw new OrchestraError("PKI_INVALID", `not signing ${certname}: ${decision.reason}`);
    });
}
