/**
 * @module pki/site-ca
 * The site's one certificate authority: made once, before anything needs it, and kept in the
 * data directory (`pki/ca.pem`, `pki/ca.key` 0600). It signs the services' server certificates
 * and every deployed node's client certificate, so the charm, `serve` and the nodes trust one
 * root. Keys come from node:crypto (native, fast); node-forge builds and signs certificates.
 */
import { generateKeyPairSync } from "node:crypto";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import forge from "node-forge";
import { OrchestraError } from "../errors.ts";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { buildCertificate, certificateToPem } from "./build-certificate.ts";

/** The CA: its certificate and key, as PEM and as node-forge objects. */
export interface SiteCa {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

/** Where the CA lives under a data directory. */
export function siteCaPaths(dataDir: string): { certFile: string; keyFile: string } {
  return { certFile: join(dataDir, "pki", "ca.pem"), keyFile: join(dataDir, "pki", "ca.key") };
}

/** How long the CA is valid; node and server certificates are renewed well inside it. */
export const CA_LIFETIME_DAYS = 3650;

/** A new RSA key pair as PEM plus node-forge objects. */
export function newRsaKey(bits = 2048): { keyPem: string; key: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem);
  return { keyPem, key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/** A CA from its PEM files' text; refuses a pair whose key does not match the certificate. */
export function parseSiteCa(certPem: string, keyPem: string): SiteCa {
  let cert: forge.pki.Certificate;
  let key: forge.pki.rsa.PrivateKey;
  try {
    cert = forge.pki.certificateFromPem(certPem);
    key = forge.pki.privateKeyFromPem(keyPem);
  } catch (error) {
    throw new OrchestraError("PKI_INVALID", `the site CA is not a PEM certificate and RSA key: ${(error as Error).message}`);
  }
  const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
  if (publicKey.n.compareTo(key.n) !== 0) throw new OrchestraError("PKI_INVALID", "the site CA's key does not match its certificate");
  return { certPem, keyPem, cert, key };
}

/** A brand-new CA (not written anywhere). */
export function createSiteCa(commonName = "Orchestra CA", now = new Date()): SiteCa {
  const { keyPem, key, publicKey } = newRsaKey();
  const cert = buildCertificate({ commonName, publicKey, signer: key, issuer: null, isCa: true, notBefore: now, lifetimeDays: CA_LIFETIME_DAYS });
  return { certPem: certificateToPem(cert), keyPem, cert, key };
}

/**
 * The data directory's CA, made on first use. The key is written before the certificate, both
 * atomically, so a crash never leaves a certificate whose key is lost; the key file is 0600
 * and its mode is put right if someone loosened it.
 */
export async function loadOrCreateSiteCa(dataDir: string): Promise<SiteCa> {
  const { certFile, keyFile } = siteCaPaths(dataDir);
  const [certPem, keyPem] = await Promise.all([readFile(certFile, "utf8").catch(() => undefined), readFile(keyFile, "utf8").catch(() => undefined)]);
  if (certPem !== undefined && keyPem !== undefined) {
    await chmod(keyFile, 0o600);
    return parseSiteCa(certPem, keyPem);
  }
  if (certPem !== undefined && keyPem === undefined) throw new OrchestraError("PKI_INVALID", `${certFile} exists without its key ${keyFile}; restore the key or remove both`);
  // The directory is traversable: rsyslog (which may run as `syslog`) reads the CA and its
  // certificate here; the key's own mode (0600) is what keeps it root's.
  await mkdir(join(dataDir, "pki"), { recursive: true, mode: 0o755 });
  const ca = keyPem === undefined ? createSiteCa() : adoptKey(keyPem);
  await writeFileAtomic(keyFile, ca.keyPem, 0o600);
  await writeFileAtomic(certFile, ca.certPem, 0o644);
  return ca;
}

/** A CA certificate for a key left behind by an interrupted first run. */
function adoptKey(keyPem: string): SiteCa {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = buildCertificate({ commonName: "Orchestra CA", publicKey: forge.pki.setRsaPublicKey(key.n, key.e), signer: key, issuer: null, isCa: true, notBefore: new Date(), lifetimeDays: CA_LIFETIME_DAYS });
  return { certPem: certificateToPem(cert), keyPem, cert, key };
}
