/**
 * @module pki/csr-challenge
 * What puppetserver's policy-based autosigning needs from a CSR: the name it asks for and the
 * challengePassword attribute (puppet puts csr_attributes.yaml's custom_attributes there).
 */
import forge from "node-forge";
import { OrchestraError } from "../errors.ts";

/** The CN a CSR asks for and its challengePassword, if any. */
export function readCsrChallenge(csrPem: string): { commonName: string | undefined; challenge: string | undefined } {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (error) {
    throw new OrchestraError("PKI_INVALID", `not a PEM certificate request: ${(error as Error).message}`);
  }
  if (!csr.verify()) throw new OrchestraError("PKI_INVALID", "the certificate request's signature does not verify");
  const commonName = csr.subject.getField("CN")?.value as string | undefined;
  const attribute = csr.getAttribute({ name: "challengePassword" }) as { value?: unknown } | null;
  const challenge = typeof attribute?.value === "string" ? attribute.value : undefined;
  return { commonName, challenge };
}
