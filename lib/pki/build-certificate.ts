/**
 * @module pki/build-certificate
 * One X.509 certificate signed with node-forge: a CA, a server or a client certificate.
 */
import { randomBytes } from "node:crypto";
import { isIPv4 } from "node:net";
import forge from "node-forge";

/** What a certificate says. */
export interface CertificateSpec {
  readonly commonName: string;
  readonly publicKey: forge.pki.rsa.PublicKey;
  readonly signer: forge.pki.rsa.PrivateKey;
  /** The issuer's subject; null for a self-signed CA. */
  readonly issuer: forge.pki.CertificateField[] | null;
  readonly isCa: boolean;
  /** DNS names and IPv4 addresses the certificate is for (subjectAltName). */
  readonly altNames?: readonly string[];
  readonly usage?: "server" | "client";
  readonly notBefore: Date;
  readonly lifetimeDays: number;
}

/** A random positive serial number (16 bytes, leading 01 keeps it positive). */
export function newSerial(): string {
  return `01${randomBytes(15).toString("hex")}`;
}

/** Build and sign a certificate. */
export function buildCertificate(spec: CertificateSpec): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = spec.publicKey;
  cert.serialNumber = newSerial();
  // A minute's grace for clocks that lag this server's.
  cert.validity.notBefore = new Date(spec.notBefore.getTime() - 60_000);
  cert.validity.notAfter = new Date(spec.notBefore.getTime() + spec.lifetimeDays * 24 * 3600 * 1000);
  const subject = [{ name: "commonName", value: spec.commonName }, { name: "organizationName", value: "Orchestra" }];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ?? subject);
  const extensions: object[] = [{ name: "basicConstraints", cA: spec.isCa, critical: true }];
  if (spec.isCa) extensions.push({ name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true });
  else {
    extensions.push(
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      spec.usage === "client" ? { name: "extKeyUsage", clientAuth: true } : { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    );
    const names = spec.altNames ?? [spec.commonName];
    extensions.push({ name: "subjectAltName", altNames: names.map((name) => (isIPv4(name) ? { type: 7, ip: name } : { type: 2, value: name })) });
  }
  extensions.push({ name: "subjectKeyIdentifier" });
  cert.setExtensions(extensions);
  cert.sign(spec.signer, forge.md.sha256.create());
  return cert;
}

/** A certificate as PEM with Unix line endings (node-forge writes CRLF; cloud-init, rsyslog and diff prefer LF). */
export function certificateToPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, "\n");
}
