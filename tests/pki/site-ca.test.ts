/**
 * The site CA: made once in the data directory with its key 0600, reused afterwards, and the
 * certificates it issues verify with OpenSSL (a real verifier, not node-forge checking itself).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { issueNodeCertificate, issueServerCertificate, needsRenewal } from "../../lib/pki/issue-certificate.ts";
import { loadOrCreateSiteCa, siteCaPaths } from "../../lib/pki/site-ca.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-pki-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function opensslVerify(caPem: string, certPem: string, purpose: string): Promise<{ exitCode: number; output: string }> {
  const ca = join(dir, "verify-ca.pem");
  const cert = join(dir, "verify-cert.pem");
  writeFileSync(ca, caPem);
  writeFileSync(cert, certPem);
  const r = await execa("openssl", ["verify", "-CAfile", ca, "-purpose", purpose, cert], { reject: false, all: true });
  return { exitCode: r.exitCode ?? -1, output: String(r.all) };
}

describe("the site CA", () => {
  it("is created once with its key 0600 and loaded unchanged afterwards, even if the key's mode was loosened", async () => {
    const data = join(dir, "data");
    const first = await loadOrCreateSiteCa(data);
    const { certFile, keyFile } = siteCaPaths(data);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(certFile, "utf8")).toBe(first.certPem);
    chmodSync(keyFile, 0o644);
    const second = await loadOrCreateSiteCa(data);
    expect(second.certPem).toBe(first.certPem);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("refuses a certificate without its key, and a key that is not the certificate's", async () => {
    const data = join(dir, "broken");
    const ca = await loadOrCreateSiteCa(data);
    const other = await loadOrCreateSiteCa(join(dir, "other"));
    writeFileSync(siteCaPaths(data).keyFile, other.keyPem);
    await expect(loadOrCreateSiteCa(data)).rejects.toMatchObject({ code: "PKI_INVALID" });
    rmSync(siteCaPaths(data).keyFile);
    await expect(loadOrCreateSiteCa(data)).rejects.toMatchObject({ code: "PKI_INVALID" });
    expect(readFileSync(siteCaPaths(data).certFile, "utf8")).toBe(ca.certPem);
  });

  it("issues server and node certificates that OpenSSL verifies for their purpose, bound to their names", async () => {
    const ca = await loadOrCreateSiteCa(join(dir, "issue"));
    const server = issueServerCertificate(ca, ["orchestra.example", "192.0.2.1"]);
    expect((await opensslVerify(ca.certPem, server.certPem, "sslserver")).exitCode).toBe(0);
    const node = issueNodeCertificate(ca, { instanceId: "i-0123456789abcdef0", hostname: "node-1" });
    const verdict = await opensslVerify(ca.certPem, node.certPem, "sslclient");
    expect(verdict.exitCode, verdict.output).toBe(0);
    // A client certificate is not a server certificate: it cannot impersonate a service.
    expect((await opensslVerify(ca.certPem, node.certPem, "sslserver")).exitCode).not.toBe(0);
    const text = (await execa("openssl", ["x509", "-noout", "-subject", "-ext", "subjectAltName"], { input: node.certPem })).stdout;
    expect(text).toContain("CN = i-0123456789abcdef0");
    expect(text).toContain("DNS:i-0123456789abcdef0, DNS:node-1");
    // Another site's CA does not vouch for it.
    const foreign = await loadOrCreateSiteCa(join(dir, "foreign"));
    expect((await opensslVerify(foreign.certPem, node.certPem, "sslclient")).exitCode).not.toBe(0);
  });

  it("says a certificate needs renewal inside its last 30 days, when it names other hosts, or when another CA signed it", async () => {
    const ca = await loadOrCreateSiteCa(join(dir, "renew"));
    const now = new Date("2026-01-01T00:00:00Z");
    const cert = issueServerCertificate(ca, ["192.0.2.1"], now, 365).certPem;
    expect(needsRenewal(cert, ca, ["192.0.2.1"], new Date("2026-06-01T00:00:00Z"))).toBe(false);
    expect(needsRenewal(cert, ca, ["192.0.2.1"], new Date("2026-12-15T00:00:00Z"))).toBe(true);
    expect(needsRenewal(cert, ca, ["192.0.2.2"], now)).toBe(true);
    expect(needsRenewal(cert, await loadOrCreateSiteCa(join(dir, "foreign2")), ["192.0.2.1"], now)).toBe(true);
    expect(needsRenewal(undefined, ca, ["192.0.2.1"], now)).toBe(true);
    expect(needsRenewal("garbage", ca, ["192.0.2.1"], now)).toBe(true);
  });
});
