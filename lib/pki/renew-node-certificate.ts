/**
 * @module pki/renew-node-certificate
 * A running node renews its own client certificate before it expires: it sends a CSR signed
 * with the key it already holds (`/etc/orchestra/node.key`), and gets a new certificate for
 * that same key. The CSR's signature is the proof of possession; the key is compared with the
 * one the node's current certificate carries, so only the holder of that key renews, and the
 * key itself never travels again. Names come from the store (the instance id and hostname),
 * never from the CSR, and only an open instance is renewed: a terminated node's certificate
 * is not extended. Outside its renewal window (and while signed by the current site CA) the
 * current certificate is answered unchanged, so a node may ask daily.
 */
import forge from "node-forge";
import { OrchestraError } from "../errors.ts";
import type { SqlDatabase } from "../store/sql-database.ts";
import { buildCertificate, certificateToPem } from "./build-certificate.ts";
import { NODE_LIFETIME_DAYS, RENEW_BEFORE_DAYS, needsRenewal } from "./issue-certificate.ts";
import type { SiteCa } from "./site-ca.ts";

/** What the node gets back. */
export interface RenewedCertificate {
  readonly certPem: string;
  readonly notAfter: string;
  /** False when the current certificate was answered because it is not yet due. */
  readonly renewed: boolean;
}

/** The RSA public key a CSR is for, after checking the CSR's signature with it. */
function csrPublicKey(csrPem: string): forge.pki.rsa.PublicKey {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (error) {
    throw new OrchestraError("PKI_INVALID", `not a PEM certificate request: ${(error as Error).message}`);
  }
  let verified = false;
  try {
    verified = csr.verify();
  } catch {
    verified = false;
  }
  if (!verified || csr.publicKey === null) throw new OrchestraError("PKI_INVALID", "the certificate request's signature does not verify");
  return csr.publicKey as forge.pki.rsa.PublicKey;
}

function sameKey(a: forge.pki.rsa.PublicKey, b: forge.pki.rsa.PublicKey): boolean {
  return a.n.compareTo(b.n) === 0 && a.e.compareTo(b.e) === 0;
}

/**
 * Renew `instanceId`'s client certificate for the key `csrPem` proves possession of. Throws
 * INSTANCE_NOT_FOUND (no open instance with credentials) or PKI_INVALID (a malformed or
 * unverifiable CSR, or one for another key); changes nothing then.
 */
export async function renewNodeCertificate(db: SqlDatabase, ca: SiteCa, instanceId: string, csrPem: string, now = new Date(), options: { lifetimeDays?: number; renewBeforeDays?: number } = {}): Promise<RenewedCertificate> {
  const publicKey = csrPublicKey(csrPem);
  return db.transaction(async (tx) => {
    const row = await tx.get<{ cert_pem: string; not_after: string; hostname: string }>(
      `SELECT c.cert_pem, c.not_after, md.hostname FROM node_credentials c
       JOIN instances i ON i.instance_id = c.instance_id AND i.ended_at IS NULL
       JOIN instance_metadata md ON md.instance_id = c.instance_id
       WHERE c.instance_id = $1`,
      [instanceId],
    );
    if (!row) throw new OrchestraError("INSTANCE_NOT_FOUND", `${instanceId} is not an open instance with a node certificate`);
    const current = forge.pki.certificateFromPem(row.cert_pem);
    if (!sameKey(current.publicKey as forge.pki.rsa.PublicKey, publicKey)) {
      throw new OrchestraError("PKI_INVALID", "the certificate request is not signed with this node's key");
    }
    const names = [instanceId, row.hostname];
    if (!needsRenewal(row.cert_pem, ca, names, now, options.renewBeforeDays ?? RENEW_BEFORE_DAYS)) {
      return { certPem: row.cert_pem, notAfter: row.not_after, renewed: false };
    }
    const cert = buildCertificate({
      commonName: instanceId, publicKey, signer: ca.key, issuer: ca.cert.subject.attributes, isCa: false, altNames: names, usage: "client",
      notBefore: now, lifetimeDays: options.lifetimeDays ?? NODE_LIFETIME_DAYS,
    });
    const certPem = certificateToPem(cert);
    const notAfter = cert.validity.notAfter.toISOString();
    await tx.run("UPDATE node_credentials SET cert_pem = $2, serial = $3, not_after = $4 WHERE instance_id = $1", [instanceId, certPem, cert.serialNumber, notAfter]);
    return { certPem, notAfter, renewed: true };
  });
}
