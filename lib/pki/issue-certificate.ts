/**
 * @module pki/issue-certificate
 * Certificates the site CA issues: a server certificate for a service, a client certificate
 * for one deployed node (its CN is the instance id; its subjectAltName names the instance id
 * and the hostname, which is what rsyslog's x509/name check and puppet's certname match).
 */
import forge from "node-forge";
import { buildCertificate, certificateToPem } from "./build-certificate.ts";
import { newRsaKey, type SiteCa } from "./site-ca.ts";

/** A certificate with its own key. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly serial: string;
  readonly notAfter: Date;
}

/** Server certificates live a year and are renewed in their last 30 days. */
export const SERVER_LIFETIME_DAYS = 365;
/** Node certificates live 90 days; a node is re-issued one when it is redeployed. */
export const NODE_LIFETIME_DAYS = 90;
/** Renew when less than this is left. */
export const RENEW_BEFORE_DAYS = 30;

function issue(ca: SiteCa, commonName: string, altNames: readonly string[], usage: "server" | "client", lifetimeDays: number, now: Date): IssuedCertificate {
  const { keyPem, publicKey } = newRsaKey();
  const cert = buildCertificate({ commonName, publicKey, signer: ca.key, issuer: ca.cert.subject.attributes, isCa: false, altNames, usage, notBefore: now, lifetimeDays });
  return { certPem: certificateToPem(cert), keyPem, serial: cert.serialNumber, notAfter: cert.validity.notAfter };
}

/** A server certificate for a service reached at `names` (host names or IPv4 addresses; the first is the CN). */
export function issueServerCertificate(ca: SiteCa, names: readonly string[], now = new Date(), lifetimeDays = SERVER_LIFETIME_DAYS): IssuedCertificate {
  return issue(ca, names[0]!, names, "server", lifetimeDays, now);
}

/** A node's client certificate, bound to its instance id and hostname. */
export function issueNodeCertificate(ca: SiteCa, node: { instanceId: string; hostname: string }, now = new Date(), lifetimeDays = NODE_LIFETIME_DAYS): IssuedCertificate {
  return issue(ca, node.instanceId, [node.instanceId, node.hostname], "client", lifetimeDays, now);
}

/**
 * A client certificate for a related application (the syslog relation's TLS clients): its CN
 * and only subjectAltName are the application's name.
 */
export function issueClientCertificate(ca: SiteCa, name: string, now = new Date(), lifetimeDays = SERVER_LIFETIME_DAYS): IssuedCertificate {
  return issue(ca, name, [name], "client", lifetimeDays, now);
}

/** Whether a PEM certificate should be replaced: unreadable, not signed by `ca`, not naming `names`, or inside its renewal window. */
export function needsRenewal(certPem: string | undefined, ca: SiteCa, names: readonly string[], now = new Date(), renewBeforeDays = RENEW_BEFORE_DAYS): boolean {
  if (certPem === undefined) return true;
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(certPem);
  } catch {
    return true;
  }
  try {
    if (!ca.cert.verify(cert)) return true;
  } catch {
    return true;
  }
  const san = cert.getExtension("subjectAltName") as { altNames?: { value?: string; ip?: string }[] } | null;
  const named = new Set((san?.altNames ?? []).map((n) => n.ip ?? n.value));
  if (!names.every((n) => named.has(n))) return true;
  return cert.validity.notAfter.getTime() - now.getTime() < renewBeforeDays * 24 * 3600 * 1000;
}
