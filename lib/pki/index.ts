/**
 * @module pki
 * The site's CA, the certificates it issues and each deployed node's credentials.
 */
export * from "./site-ca.ts";
export * from "./build-certificate.ts";
export * from "./issue-certificate.ts";
export * from "./node-credentials.ts";
export * from "./node-credentials-schema.ts";
export * from "./csr-challenge.ts";
export * from "./renew-node-certificate.ts";
