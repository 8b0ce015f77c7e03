/**
 * @module ec2/keys/ssh-public-key
 * OpenSSH public keys for ImportKeyPair/CreateKeyPair: parsing `authorized_keys` lines,
 * AWS-style fingerprints, and RSA key pair generation. Keys reach nodes through metadata.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { OrchestraError } from "../../errors.ts";

/** Key types an imported public key may have. */
const TYPES = new Set(["ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]);

/** A parsed OpenSSH public key. */
export interface SshPublicKey {
  readonly type: string;
  /** The `type base64` part, without any comment: what goes into authorized_keys. */
  readonly line: string;
  readonly blob: Buffer;
}

/** Parse one `authorized_keys` line; throws EC2_KEY_FORMAT. */
export function parseSshPublicKey(text: string): SshPublicKey {
  const fields = text.trim().split(/\s+/);
  const [type, data] = fields;
  if (fields.length < 2 || fields.length > 3 || !type || !data || !TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    throw badKey("Key is not in valid OpenSSH public key format");
  }
  const blob = Buffer.from(data, "base64");
  // The blob starts with its own type name; a mismatch means a pasted or corrupted key.
  if (blob.length < 4 || blob.readUInt32BE(0) !== type.length || blob.subarray(4, 4 + type.length).toString("latin1") !== type) {
    throw badKey("Key is not in valid OpenSSH public key format");
  }
  return { type, line: `${type} ${data}`, blob };
}

/** AWS's fingerprint of an imported key: MD5 of the blob (RFC 4716) for RSA, base64 SHA-256 otherwise. */
export function importedKeyFingerprint(key: SshPublicKey): string {
  if (key.type === "ssh-rsa") return colonHex(createHash("md5").update(key.blob).digest());
  return createHash("sha256").update(key.blob).digest("base64").replace(/=+$/, "");
}

/** A new RSA key pair: the private key as PKCS#1 PEM (what AWS hands out) and the public line. */
export function generateRsaKeyPair(): { privateKeyPem: string; publicKey: SshPublicKey; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), sshMpint(Buffer.from(jwk.e!, "base64url")), sshMpint(Buffer.from(jwk.n!, "base64url"))]);
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs1" }).toString(),
    publicKey: { type: "ssh-rsa", line: `ssh-rsa ${blob.toString("base64")}`, blob },
    // AWS fingerprints keys it creates by the SHA-1 of the PKCS#8 private key.
    fingerprint: colonHex(createHash("sha1").update(pkcs8).digest()),
  };
}

function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

function sshMpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  // A set high bit would read as negative: mpints then carry a leading zero byte.
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function colonHex(digest: Buffer): string {
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function badKey(message: string): OrchestraError {
  return new OrchestraError("EC2_KEY_FORMAT", message);
}
