/**
 * @module ec2/credentials/secret-box
 * The EC2 secrets' sealing lives with the store (lib/store/secret-box.ts), which seals every
 * other secret at rest with the same key file; this name stays for the EC2 code's imports.
 */
export { loadOrCreateSecretKey, SECRET_KEY_FILE, type SecretBox, secretBox } from "../../store/secret-box.ts";
