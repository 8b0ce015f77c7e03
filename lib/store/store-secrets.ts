/**
 * @module store/store-secrets
 * Secrets at rest in the store (BMC passwords, user-data, node tokens, NoCloud secrets),
 * sealed with the data directory's key file, the one that seals EC2 secret keys
 * (lib/store/secret-box.ts). A sealed value is `sealed:` + AES-256-GCM box, bound to the
 * row it belongs to. A token looked up by its value is stored as a keyed hash (`h1:` +
 * HMAC-SHA256 under a key derived from the same key file), beside a sealed copy where the
 * plain token is needed again. Rows written before sealing existed are sealed at open
 * (lib/store/seal-existing.ts).
 */
import { createHmac, createSecretKey, hkdfSync, randomBytes } from "node:crypto";
import { type SecretBox, secretBox } from "./secret-box.ts";

const SEALED = "sealed:";
const HASHED = "h1:";
/**
 * Lookup keys remembered per store: a node's every call shows its token, and each call keyed
 * it two or three times (find the row, update it, bind it), an HMAC each time. Bounded: the
 * oldest goes first. It holds only tokens this process has been shown already.
 */
const REMEMBERED_LOOKUP_KEYS = 4096;

/** Seals and opens the store's secrets, and keys tokens for lookup. */
export interface StoreSecrets {
  /** `plain` sealed, bound to `context` (say "machine:<id>:power"). */
  seal(plain: string, context: string): string;
  /** A stored value opened; a value from before sealing is answered as it is. */
  open(stored: string, context: string): string;
  /** Whether a stored value is sealed already. */
  isSealed(stored: string): boolean;
  /** The lookup key of a token: a keyed hash, so the table never holds the token itself. */
  lookupKey(token: string): string;
  /** Whether a stored token column holds a lookup key already. */
  isLookupKey(stored: string): boolean;
}

/** Store secrets under a 32-byte key (the data directory's credentials.key). */
export function storeSecrets(key: Uint8Array): StoreSecrets {
  const box: SecretBox = secretBox(key);
  // A key of its own for hashing, derived from the sealing key: the two uses never share one.
  const hashKey = createSecretKey(Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "orchestra token lookup", 32)));
  const lookupKeys = new Map<string, string>();
  const lookupKey = (token: string): string => {
    let key = lookupKeys.get(token);
    if (key === undefined) {
      key = HASHED + createHmac("sha256", hashKey).update(token, "utf8").digest("base64url");
      if (lookupKeys.size >= REMEMBERED_LOOKUP_KEYS) lookupKeys.delete(lookupKeys.keys().next().value!);
      lookupKeys.set(token, key);
    }
    return key;
  };
  return {
    seal: (plain, context) => SEALED + box.seal(plain, context),
    open: (stored, context) => (stored.startsWith(SEALED) ? box.open(stored.slice(SEALED.length), context) : stored),
    isSealed: (stored) => stored.startsWith(SEALED),
    lookupKey,
    isLookupKey: (stored) => stored.startsWith(HASHED),
  };
}

/** Secrets under a key that lives as long as this process: for throwaway (":memory:") stores only. */
export function ephemeralStoreSecrets(): StoreSecrets {
  return storeSecrets(randomBytes(32));
}
