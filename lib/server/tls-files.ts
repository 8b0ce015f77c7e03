/**
 * @module server/tls-files
 * The key and certificate a listener serves HTTPS with: the operator's own files, or one
 * issued by the site CA (lib/pki, made on first start) for the names clients reach it by,
 * kept under <data dir>/pki and re-issued when it nears its end or the names change.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";
import { writeFileAtomic } from "../files/write-file-atomic.ts";
import { issueServerCertificate, loadOrCreateSiteCa, needsRenewal, siteCaPaths } from "../pki/index.ts";

/** PEM key and certificate chain. */
export interface TlsFiles {
  key: string;
  cert: string;
  /** The CA clients should trust (--ca-bundle), when the site CA issued the certificate. */
  caFile?: string;
}

/** Where the site-CA-issued server certificate lives. */
export function serverCertificatePaths(dataDir: string): { certFile: string; keyFile: string } {
  return { certFile: join(dataDir, "pki", "server.pem"), keyFile: join(dataDir, "pki", "server.key") };
}

/** The operator's --tls-cert/--tls-key, read now so a bad path stops serve before it listens. */
export async function readTlsFiles(certFile: string, keyFile: string): Promise<TlsFiles> {
  const read = (file: string, option: string) => readFile(file, "utf8").catch((error: Error) => {
    throw new OrchestraError("INVALID_ARGUMENT", `cannot read ${option} ${JSON.stringify(file)}: ${error.message}`);
  });
  const [cert, key] = await Promise.all([read(certFile, "--tls-cert"), read(keyFile, "--tls-key")]);
  if (!cert.includes("BEGIN CERTIFICATE")) throw new OrchestraError("PKI_INVALID", `--tls-cert ${certFile} holds no PEM certificate`);
  if (!/BEGIN (RSA |EC )?PRIVATE KEY/.test(key)) throw new OrchestraError("PKI_INVALID", `--tls-key ${keyFile} holds no PEM private key`);
  return { cert, key };
}

/** A server certificate from the site CA for `names`, issued on first use and renewed when due. */
export async function siteCaTlsFiles(dataDir: string, names: readonly string[], now = new Date()): Promise<TlsFiles> {
  const ca = await loadOrCreateSiteCa(dataDir);
  const { certFile, keyFile } = serverCertificatePaths(dataDir);
  const [cert, key] = await Promise.all([readFile(certFile, "utf8").catch(() => undefined), readFile(keyFile, "utf8").catch(() => undefined)]);
  if (cert !== undefined && key !== undefined && !needsRenewal(cert, ca, names, now)) return { cert, key, caFile: siteCaPaths(dataDir).certFile };
  const issued = issueServerCertificate(ca, names, now);
  await writeFileAtomic(keyFile, issued.keyPem, 0o600);
  await writeFileAtomic(certFile, issued.certPem, 0o644);
  return { cert: issued.certPem, key: issued.keyPem, caFile: siteCaPaths(dataDir).certFile };
}
