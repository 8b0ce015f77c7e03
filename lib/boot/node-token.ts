/**
 * @module boot/node-token
 * The tokens that let a node on the boot path act for its machine (deployment, erasure,
 * commissioning: docs/boot.md) are each bound to one network address. A boot script hands a
 * token out only when the asking address may be the machine's (an address witness does not
 * contradict it, and the token is not bound elsewhere), and binds it there; every call that
 * shows the token must then come from that address, or from one the network proves is one
 * of the machine's. The commissioning token lives here too: one per `commissioning` entry.
 */
import { timingSafeEqual } from "node:crypto";
import { OrchestraError } from "../errors.ts";
import type { Migration } from "../store/migrations.ts";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.ts";
import type { AddressWitness } from "./address-witness.ts";

/** The tables whose rows hold a node token and the address it is bound to. */
export type NodeTokenTable = "deployments" | "erasures" | "commissionings";

export const NODE_TOKEN_MIGRATION: Migration = {
  version: 8,
  name: "node tokens bound to an address; commissioning tokens",
  statements: () => [
    "ALTER TABLE deployments ADD COLUMN bound_address TEXT",
    "ALTER TABLE erasures ADD COLUMN bound_address TEXT",
    // Tokens at rest: the token column becomes the token's keyed hash, the token itself is sealed here.
    "ALTER TABLE deployments ADD COLUMN sealed_token TEXT",
    "ALTER TABLE erasures ADD COLUMN sealed_token TEXT",
    "ALTER TABLE instance_metadata ADD COLUMN sealed_nocloud_secret TEXT",
    `CREATE TABLE commissionings (
      machine_id TEXT PRIMARY KEY REFERENCES machines (system_id) ON DELETE CASCADE,
      token TEXT NOT NULL UNIQUE,
      sealed_token TEXT NOT NULL,
      entered_at TEXT NOT NULL,
      bound_address TEXT,
      started_at TEXT NOT NULL
    )`,
  ],
};

/**
 * The address `request.ip` names, IPv4-mapped IPv6 written as IPv4; a request over the unix
 * socket (the lab publishes the boot listener on the host through one) has none and is
 * named `unix-socket`.
 */
export function plainAddress(address: string | undefined): string {
  if (!address) return "unix-socket";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** Compare two tokens without leaking where they differ. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The address a token is bound to now (null: not yet). */
async function boundAddress(db: SqlExecutor, table: NodeTokenTable, token: string): Promise<string | null | undefined> {
  return (await db.get<{ bound_address: string | null }>(`SELECT bound_address FROM ${table} WHERE token = $1`, [db.secrets.lookupKey(token)]))?.bound_address;
}

/** Bind an unbound token to `address`; answers the address it is bound to afterwards (the winner of a race). */
async function bindFirst(db: SqlExecutor, table: NodeTokenTable, token: string, address: string): Promise<string | null | undefined> {
  // The update's count says whether this call won: only a loser reads who did.
  const won = await db.run(`UPDATE ${table} SET bound_address = $2 WHERE token = $1 AND bound_address IS NULL`, [db.secrets.lookupKey(token), address]);
  return won > 0 ? address : boundAddress(db, table, token);
}

/** Does the network prove `address` is one of `macs`' (and contradict none)? */
async function provenFor(witness: AddressWitness, macs: readonly string[], address: string): Promise<boolean> {
  const verdicts = await Promise.all(macs.map((mac) => witness.verdict(mac, address)));
  return verdicts.includes("proven");
}

/** What a token check needs: the token's row, the machine's MACs, the caller's address. */
export interface NodeTokenClaim {
  readonly table: NodeTokenTable;
  readonly token: string;
  readonly bound: string | null;
  readonly macs: readonly string[];
  readonly address: string;
}

/**
 * May a boot script for `bootMac` carry this token to `address`? Not when the network
 * contradicts the address being that MAC's; when it proves it, the token is (re)bound there;
 * when it cannot tell, only an unbound token (bound now) or one bound to this very address.
 */
export async function mayHandOutToken(db: SqlExecutor, witness: AddressWitness, bootMac: string, claim: Omit<NodeTokenClaim, "macs">): Promise<boolean> {
  const address = plainAddress(claim.address);
  const verdict = await witness.verdict(bootMac, address);
  if (verdict === "contradicted") return false;
  if (verdict === "proven") {
    if (claim.bound !== address) await db.run(`UPDATE ${claim.table} SET bound_address = $2 WHERE token = $1`, [db.secrets.lookupKey(claim.token), address]);
    return true;
  }
  if (claim.bound === address) return true;
  if (claim.bound !== null) return false;
  return (await bindFirst(db, claim.table, claim.token, address)) === address;
}

/**
 * Admit a call that shows a node token: from its bound address, from an address the network
 * proves is the machine's, or (a token never handed out by a boot script) from the first
 * address that uses it, which binds it.
 * @throws TOKEN_ADDRESS_MISMATCH otherwise
 */
export async function admitNodeCall(db: SqlExecutor, witness: AddressWitness, claim: NodeTokenClaim): Promise<void> {
  const address = plainAddress(claim.address);
  if (claim.bound === address) return;
  if (await provenFor(witness, claim.macs, address)) return;
  if (claim.bound === null && (await bindFirst(db, claim.table, claim.token, address)) === address) return;
  throw new OrchestraError("TOKEN_ADDRESS_MISMATCH", `this token belongs to another address than ${address}; calls with it are refused from here`, { source: address });
}

/** A machine's commissioning token for its current `commissioning` entry. */
export interface Commissioning {
  readonly systemId: string;
  readonly token: string;
  readonly enteredAt: string;
  readonly boundAddress: string | null;
}

interface CommissioningRow {
  machine_id: string;
  sealed_token: string;
  entered_at: string;
  bound_address: string | null;
}

/** A machine's latest commissioning token row, if any. */
export async function commissioningOf(db: SqlExecutor, systemId: string): Promise<Commissioning | undefined> {
  const row = await db.get<CommissioningRow>("SELECT machine_id, sealed_token, entered_at, bound_address FROM commissionings WHERE machine_id = $1", [systemId]);
  return row && { systemId: row.machine_id, token: db.secrets.open(row.sealed_token, `commissioning:${row.machine_id}:token`), enteredAt: row.entered_at, boundAddress: row.bound_address };
}

/**
 * The commissioning token for the machine's entry into `commissioning` at `enteredAt`,
 * made on first need (the first boot script of that entry); a token of an earlier entry is
 * replaced, so it can never report for this one.
 */
export async function commissioningTokenFor(db: SqlDatabase, systemId: string, enteredAt: string, newToken: () => string, at: string): Promise<Commissioning> {
  return db.transaction(async (tx) => {
    const current = await commissioningOf(tx, systemId);
    if (current && current.enteredAt === enteredAt) return current;
    const token = newToken();
    await tx.run("DELETE FROM commissionings WHERE machine_id = $1", [systemId]);
    await tx.run("INSERT INTO commissionings (machine_id, token, sealed_token, entered_at, bound_address, started_at) VALUES ($1, $2, $3, $4, NULL, $5)", [
      systemId,
      tx.secrets.lookupKey(token),
      tx.secrets.seal(token, `commissioning:${systemId}:token`),
      enteredAt,
      at,
    ]);
    return { systemId, token, enteredAt, boundAddress: null };
  });
}
