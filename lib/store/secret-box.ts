/**
 * @module store/secret-box
 * Encrypts access-key secrets at rest with AES-256-GCM under a key file kept in the data
 * directory beside, not inside, the database: a copy of the database alone cannot sign
 * requests. SigV4 needs the plain secret to recompute signatures, so a hash would not do.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { OrchestraError } from "../errors.ts";
import { randomPoolBytes } from "./random-pool.ts";

/** The key file's name inside the data directory. */
export const SECRET_KEY_FILE = "credentials.key";

/** Encrypts and decrypts secrets with one 256-bit key. */
export interface SecretBox {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

/**
 * Opened secrets a box remembers, by sealed value and context: a node's every call, an EC2
 * request's signature check and the engine's power step each opened the same few values
 * again (AES-GCM, about 20-40 µs each; a quarter of a deployment's store time in
 * tests/bench/deploy-overhead.ts). Bounded, the oldest forgotten first. A sealed value has
 * a random IV, so the same text is never two entries; a value altered by one byte is another
 * key and is opened (and refused) as before. It holds only what this process has sealed or
 * opened already, and only short values (tokens, keys, power settings): user-data, up to
 * 16 KiB an instance, would make it megabytes.
 */
const REMEMBERED_SECRETS = 4096;
const REMEMBERED_MAX_CHARS = 1024;

/** Build a box from a 32-byte key; `context` (the access key id) is bound as associated data so sealed secrets cannot be swapped between rows. */
export function secretBox(key: Uint8Array): SecretBox {
  if (key.length !== 32) throw new OrchestraError("CREDENTIAL_KEY_FILE", "The credential key must be 32 bytes.");
  // One KeyObject for the box's life: handing the raw bytes to every createCipheriv made
  // Node build a key object per call, most of the cost of opening 10,000 machines' settings.
  const keyObject = createSecretKey(key);
  const opened = new Map<string, string>();
  const remember = (sealed: string, context: string, plain: string) => {
    if (plain.length > REMEMBERED_MAX_CHARS) return;
    if (opened.size >= REMEMBERED_SECRETS) opened.delete(opened.keys().next().value!);
    opened.set(`${context}\n${sealed}`, plain);
  };
  return {
    seal(plain, context) {
      const iv = randomPoolBytes(12);
      const cipher = createCipheriv("aes-256-gcm", keyObject, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      const sealed = `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`;
      remember(sealed, context, plain);
      return sealed;
    },
    open(sealed, context) {
      const known = opened.get(`${context}\n${sealed}`);
      if (known !== undefined) return known;
      const [version, iv, body, tag] = sealed.split(".");
      if (version !== "v1" || !iv || body === undefined || !tag) throw new OrchestraError("CREDENTIAL_KEY_FILE", "A stored secret is not in a known format.");
      let plain: string;
      try {
        const decipher = createDecipheriv("aes-256-gcm", keyObject, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        plain = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
      } catch (error) {
        throw new OrchestraError("CREDENTIAL_KEY_FILE", "A stored secret does not open with this data directory's key file.", {}, { cause: error });
      }
      remember(sealed, context, plain);
      return plain;
    },
  };
}

/** Read the key file, creating it (mode 0600, exclusively) on first use. */
export async function loadOrCreateSecretKey(path: string): Promise<Uint8Array> {
  try {
    return checkKey(await readFile(path), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw wrap(error, path);
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return key;
  } catch (error) {
    // Another process created it between our read and our create: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return checkKey(await readFile(path), path);
    throw wrap(error, path);
  }
}

function checkKey(key: Buffer, path: string): Uint8Array {
  if (key.length !== 32) throw new OrchestraError("CREDENTIAL_KEY_FILE", `The credential key file ${path} is not 32 bytes.`);
  return key;
}

function wrap(error: unknown, path: string): OrchestraError {
  if (error instanceof OrchestraError) return error;
  return new OrchestraError("CREDENTIAL_KEY_FILE", `The credential key file ${path} cannot be read or written.`, {}, { cause: error });
}
