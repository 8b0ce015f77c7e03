/**
 * @module puppet/autosign-policy
 * Policy-based autosigning: puppetserver runs its `autosign` executable with the certname as
 * the argument and the CSR (PEM) on stdin, and signs only on exit 0. Orchestra signs a CSR
 * only when it asks for the name of an open instance (its instance id, the certname the
 * vendor-data sets) and carries the one-time challenge Orchestra issued to that instance,
 * not yet spent. Everything else waits for an operator (`puppetserver ca sign`).
 */
import { isOrchestraError } from "../errors.ts";
import type { ChallengeVerdict } from "../pki/node-credentials.ts";
import type { SqlDatabase } from "../store/sql-database.ts";

/** The policy's answer: sign or not, and why (for puppetserver's log). */
export interface AutosignDecision {
  readonly sign: boolean;
  readonly reason: ChallengeVerdict | "malformed-csr" | "name-mismatch" | "no-challenge";
}

/** Decide on one CSR; a signing spends the challenge in the same transaction as the check. */
export async function decideAutosign(db: SqlDatabase, certname: string, csrPem: string, now = new Date()): Promise<AutosignDecision> {
  // The PKI code is loaded on the first CSR, not with the autosign route: it brings node-forge
  // (about 2 MiB of heap), which `orchestra serve` otherwise does not need at start.
  const [{ readCsrChallenge }, { claimChallenge }] = await Promise.all([import("../pki/csr-challenge.ts"), import("../pki/node-credentials.ts")]);
  let csr: { commonName: string | undefined; challenge: string | undefined };
  try {
    csr = readCsrChallenge(csrPem);
  } catch (error) {
    if (isOrchestraError(error, "PKI_INVALID")) return { sign: false, reason: "malformed-csr" };
    throw error;
  }
  if (csr.commonName !== certname) return { sign: false, reason: "name-mismatch" };
  if (csr.challenge === undefined) return { sign: false, reason: "no-challenge" };
  const verdict = await db.transaction((tx) => claimChallenge(tx, certname, csr.challenge!, now));
  return { sign: verdict === "signed", reason: verdict };
}
