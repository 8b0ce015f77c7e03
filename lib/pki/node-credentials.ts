/**
 * @module pki/node-credentials
 * Each deployed node's credentials, minted when its deployment starts: a client certificate
 * from the site CA bound to its instance, and a one-time challenge its puppet agent puts in
 * its CSR. They are valid only while the instance is open: terminate ends the instance, and
 * from then on its challenge signs nothing and its certificate is off the syslog server's
 * permitted list (see docs/managed-nodes.md, "certificate lifecycle").
 */
import { randomBytes } from "node:crypto";
import type { SqlExecutor } from "../store/sql-database.ts";
import { issueNodeCertificate, NODE_LIFETIME_DAYS } from "./issue-certificate.ts";
import type { SiteCa } from "./site-ca.ts";

/** What a node is handed through its metadata. */
export interface NodeCredential {
  readonly instanceId: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly challenge: string;
  readonly notAfter: string;
}

/** Why a CSR was or was not signed; `signed` only for a fresh challenge of that open instance. */
export type ChallengeVerdict = "signed" | "unknown-instance" | "wrong-challenge" | "challenge-used" | "instance-ended";

const CHALLENGE = /^[A-Za-z0-9_-]{32,64}$/;

/** A new one-time challenge (192 bits, base64url). */
export function newChallenge(): string {
  return randomBytes(24).toString("base64url");
}

/** Mint (or re-mint, for a redeployment) an instance's certificate and challenge inside the caller's transaction. */
export async function issueNodeCredentialWithin(tx: SqlExecutor, ca: SiteCa, node: { instanceId: string; hostname: string }, now = new Date(), lifetimeDays = NODE_LIFETIME_DAYS): Promise<NodeCredential> {
  const issued = issueNodeCertificate(ca, node, now, lifetimeDays);
  const challenge = newChallenge();
  await tx.run("DELETE FROM node_credentials WHERE instance_id = $1", [node.instanceId]);
  await tx.run(
    "INSERT INTO node_credentials (instance_id, cert_pem, key_pem, serial, not_after, challenge, challenge_used_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
    // At rest the key is sealed and the challenge kept only as a keyed hash (lib/store/store-secrets.ts):
    // the node gets both once, through its metadata; the store only has to recognise the challenge.
    [node.instanceId, issued.certPem, tx.secrets.seal(issued.keyPem, `instance:${node.instanceId}:node-key`), issued.serial, issued.notAfter.toISOString(), tx.secrets.lookupKey(challenge), now.toISOString()],
  );
  return { instanceId: node.instanceId, certPem: issued.certPem, keyPem: issued.keyPem, challenge, notAfter: issued.notAfter.toISOString() };
}

/**
 * Spend `challenge` for `certname` (the instance id): true only the first time, only for the
 * challenge issued to that instance, and only while the instance is open. The check and the
 * spend are one UPDATE, so two racing CSRs cannot both win.
 */
export async function claimChallenge(tx: SqlExecutor, certname: string, challenge: string, now = new Date()): Promise<ChallengeVerdict> {
  const row = await tx.get<{ challenge: string; challenge_used_at: string | null; ended_at: string | null }>(
    "SELECT c.challenge, c.challenge_used_at, i.ended_at FROM node_credentials c JOIN instances i ON i.instance_id = c.instance_id WHERE c.instance_id = $1",
    [certname],
  );
  if (!row) return "unknown-instance";
  if (row.ended_at !== null) return "instance-ended";
  if (!CHALLENGE.test(challenge)) return "wrong-challenge";
  const challengeKey = tx.secrets.lookupKey(challenge);
  if (row.challenge !== challengeKey) return "wrong-challenge";
  if (row.challenge_used_at !== null) return "challenge-used";
  const spent = await tx.run(
    "UPDATE node_credentials SET challenge_used_at = $3 WHERE instance_id = $1 AND challenge = $2 AND challenge_used_at IS NULL",
    [certname, challengeKey, now.toISOString()],
  );
  return spent === 1 ? "signed" : "challenge-used";
}

/** The instance ids whose certificates are currently honoured (open instances), sorted. */
export async function activeNodeNames(tx: SqlExecutor): Promise<string[]> {
  const rows = await tx.all<{ instance_id: string }>(
    "SELECT c.instance_id FROM node_credentials c JOIN instances i ON i.instance_id = c.instance_id AND i.ended_at IS NULL ORDER BY c.instance_id",
  );
  return rows.map((r) => r.instance_id);
}

/** Open instances whose certificate expires before `before`: the renewal worker re-issues them. */
export async function credentialsExpiringBefore(tx: SqlExecutor, before: Date): Promise<{ instanceId: string; hostname: string }[]> {
  const rows = await tx.all<{ instance_id: string; hostname: string }>(
    `SELECT c.instance_id, md.hostname FROM node_credentials c
     JOIN instances i ON i.instance_id = c.instance_id AND i.ended_at IS NULL
     JOIN instance_metadata md ON md.instance_id = c.instance_id
     WHERE c.not_after < $1`,
    [before.toISOString()],
  );
  return rows.map((r) => ({ instanceId: r.instance_id, hostname: r.hostname }));
}
