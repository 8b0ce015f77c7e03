/**
 * @module charm/workloads/tls-material
 * A small CA and a server certificate for the syslog-over-TLS listener, made once per unit.
 * Keys come from node:crypto (native, fast); node-forge signs the certificates.
 */
import { existsSync, readFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

/** Paths of the TLS files. */
export interface TlsPaths {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The TLS file paths under a data directory. */
export function tlsPaths(dataDir: string): TlsPaths {
  return { caFile: `${dataDir}/tls/ca.pem`, certFile: `${dataDir}/tls/syslog.pem`, keyFile: `${dataDir}/tls/syslog.key` };
}

function newKey(): { privatePem: string; forgePrivate: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgePrivate = forge.pki.privateKeyFromPem(privatePem);
  return { privatePem, forgePrivate, forgePublic: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e) };
}

function certificate(subjectCn: string, publicKey: forge.pki.rsa.PublicKey, issuer: forge.pki.CertificateField[] | null, signer: forge.pki.rsa.PrivateKey, isCa: boolean, altName?: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const subject = [{ name: "commonName", value: subjectCn }, { name: "organizationName", value: "Orchestra" }];
  cert.setSubject(subject);
  cert.setIssuer(issuer ?? subject);
  const extensions: object[] = [{ name: "basicConstraints", cA: isCa }];
  if (isCa) extensions.push({ name: "keyUsage", keyCertSign: true, cRLSign: true });
  else {
    extensions.push({ name: "keyUsage", digitalSignature: true, keyEncipherment: true }, { name: "extKeyUsage", serverAuth: true });
    if (altName !== undefined) extensions.push({ name: "subjectAltName", altNames: /^[0-9.]+$/.test(altName) ? [{ type: 7, ip: altName }] : [{ type: 2, value: altName }] });
  }
  cert.setExtensions(extensions);
  cert.sign(signer, forge.md.sha256.create());
  return cert;
}

/** A file to write: its host path, content and mode. */
export interface TlsFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * The CA and the server certificate for `address`: the existing files when they already
 * name that address, else a new certificate (and a new CA if there is none). `resolve`
 * maps a host path to where it lives (under the host root).
 */
export function tlsMaterialFiles(paths: TlsPaths, address: string, resolve: (path: string) => string = (p) => p): TlsFile[] {
  const read = (path: string) => readFileSync(resolve(path), "utf8");
  const has = (path: string) => existsSync(resolve(path));
  const caKeyPath = `${paths.caFile}.key`;
  if (has(paths.caFile) && has(caKeyPath) && has(paths.certFile) && has(paths.keyFile)) {
    const cert = forge.pki.certificateFromPem(read(paths.certFile));
    if (cert.subject.getField("CN")?.value === address) {
      return [
        { path: caKeyPath, content: read(caKeyPath), mode: 0o600 },
        { path: paths.caFile, content: read(paths.caFile), mode: 0o644 },
        { path: paths.keyFile, content: read(paths.keyFile), mode: 0o600 },
        { path: paths.certFile, content: read(paths.certFile), mode: 0o644 },
      ];
    }
  }
  let caKeyPem: string;
  let caCert: forge.pki.Certificate;
  if (has(paths.caFile) && has(caKeyPath)) {
    caKeyPem = read(caKeyPath);
    caCert = forge.pki.certificateFromPem(read(paths.caFile));
  } else {
    const key = newKey();
    caKeyPem = key.privatePem;
    caCert = certificate("Orchestra CA", key.forgePublic, null, key.forgePrivate, true);
  }
  const server = newKey();
  const cert = certificate(address, server.forgePublic, caCert.subject.attributes, forge.pki.privateKeyFromPem(caKeyPem), false, address);
  return [
    { path: caKeyPath, content: caKeyPem, mode: 0o600 },
    { path: paths.caFile, content: forge.pki.certificateToPem(caCert), mode: 0o644 },
    { path: paths.keyFile, content: server.privatePem, mode: 0o600 },
    { path: paths.certFile, content: forge.pki.certificateToPem(cert), mode: 0o644 },
  ];
}
