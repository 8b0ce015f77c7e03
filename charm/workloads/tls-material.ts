/**
 * @module charm/workloads/tls-material
 * The syslog-over-TLS listener's files: the site CA (lib/pki, `<data dir>/pki/ca.pem` and
 * `ca.key`, the same CA `orchestra serve` signs node certificates with, so the charm's
 * services and the deployed nodes trust one root) and a server certificate it issues for this
 * unit's address, re-issued when the address changes or the certificate nears its expiry.
 */
import { existsSync, readFileSync } from "node:fs";
import { issueServerCertificate, needsRenewal } from "../../lib/pki/issue-certificate.ts";
import { createSiteCa, parseSiteCa, siteCaPaths } from "../../lib/pki/site-ca.ts";

/** Paths of the TLS files. */
export interface TlsPaths {
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
}

/** The TLS file paths under a data directory; the CA's are the site CA's (lib/pki). */
export function tlsPaths(dataDir: string): TlsPaths {
  const ca = siteCaPaths(dataDir);
  return { caFile: ca.certFile, caKeyFile: ca.keyFile, certFile: `${dataDir}/tls/syslog.pem`, keyFile: `${dataDir}/tls/syslog.key` };
}

/** A file to write: its host path, content and mode. */
export interface TlsFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * The CA and the server certificate for `address` (one, or several: the first is the CN):
 * the existing files when the certificate still names every one and is not due for
 * renewal, else a new certificate (and a new CA if there is none). `resolve` maps a host
 * path to where it lives (under the host root).
 */
export function tlsMaterialFiles(paths: TlsPaths, address: string | readonly string[], resolve: (path: string) => string = (p) => p, now = new Date()): TlsFile[] {
  // The first name is the certificate's CN; duplicates (one address for both) are dropped.
  const names = [...new Set(typeof address === "string" ? [address] : address)];
  const read = (path: string) => (existsSync(resolve(path)) ? readFileSync(resolve(path), "utf8") : undefined);
  const caPem = read(paths.caFile);
  const caKeyPem = read(paths.caKeyFile);
  const ca = caPem !== undefined && caKeyPem !== undefined ? parseSiteCa(caPem, caKeyPem) : createSiteCa("Orchestra CA", now);
  const caFiles = [
    { path: paths.caKeyFile, content: ca.keyPem, mode: 0o600 },
    { path: paths.caFile, content: ca.certPem, mode: 0o644 },
  ];
  const certPem = read(paths.certFile);
  const keyPem = read(paths.keyFile);
  if (keyPem !== undefined && !needsRenewal(certPem, ca, names, now)) {
    return [...caFiles, { path: paths.keyFile, content: keyPem, mode: 0o600 }, { path: paths.certFile, content: certPem!, mode: 0o644 }];
  }
  const issued = issueServerCertificate(ca, names, now);
  return [...caFiles, { path: paths.keyFile, content: issued.keyPem, mode: 0o600 }, { path: paths.certFile, content: issued.certPem, mode: 0o644 }];
}
