/**
 * @module ec2/actions/key-pairs
 * ImportKeyPair, CreateKeyPair, DescribeKeyPairs and DeleteKeyPair. Keys are per account
 * and reach a node through the metadata service (public-keys).
 */
import { OrchestraError } from "../../errors.ts";
import { bool, filterList, list, str, tagSpecificationList } from "../query/param-shape.ts";
import { compileFilters, type FilterFields } from "../model/filters.ts";
import { newResourceId } from "../model/resource-ids.ts";
import { putTags, tagSet, tagsByResource, tagsFor } from "../model/tags.ts";
import { checkTagSpecifications } from "../model/tag-specifications.ts";
import { generateRsaKeyPair, importedKeyFingerprint, parseSshPublicKey } from "../keys/ssh-public-key.ts";
import type { Ec2Context } from "../model/ec2-context.ts";
import { defineAction } from "./define-action.ts";

// Narrower than AWS's 255 printable characters: the name reaches the node's metadata
// (public-keys/0=NAME), which takes 1-64 letters, digits and _.@+- only.
const KEY_NAME = str({ required: true, min: 1, max: 64, pattern: /^[A-Za-z0-9_.@+-]{1,64}$/ });

interface KeyPairRow {
  key_pair_id: string;
  key_name: string;
  key_type: string;
  fingerprint: string;
  public_key: string;
  created_at: string;
}

async function insertKeyPair(context: Ec2Context, name: string, type: string, fingerprint: string, publicKey: string, tags: { key: string; value: string }[]): Promise<string> {
  const id = newResourceId("key");
  await context.services.db.transaction(async (tx) => {
    if (await tx.get("SELECT key_name FROM ec2_key_pairs WHERE account = $1 AND key_name = $2", [context.account, name])) {
      throw new OrchestraError("EC2_KEY_PAIR_DUPLICATE", `The keypair '${name}' already exists.`);
    }
    await tx.run("INSERT INTO ec2_key_pairs (key_pair_id, account, key_name, key_type, fingerprint, public_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
      id,
      context.account,
      name,
      type,
      fingerprint,
      publicKey,
      context.services.now().toISOString(),
    ]);
    await putTags(tx, context.account, [id], tags);
  });
  return id;
}

export const importKeyPair = defineAction("ImportKeyPair", { KeyName: KEY_NAME, PublicKeyMaterial: str({ required: true, max: 16_384 }), TagSpecification: tagSpecificationList }, async (context, p) => {
  checkTagSpecifications(p.TagSpecification, ["key-pair"]);
  // The material is a blob, so the SDKs send it base64-encoded.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.PublicKeyMaterial)) throw new OrchestraError("EC2_KEY_FORMAT", "Key is not in valid OpenSSH public key format (PublicKeyMaterial must be base64).");
  const key = parseSshPublicKey(Buffer.from(p.PublicKeyMaterial, "base64").toString("utf8"));
  const fingerprint = importedKeyFingerprint(key);
  const tags = tagsFor(p.TagSpecification, "key-pair");
  const id = await insertKeyPair(context, p.KeyName, key.type === "ssh-ed25519" ? "ed25519" : "rsa", fingerprint, key.line, tags);
  return { keyFingerprint: fingerprint, keyName: p.KeyName, keyPairId: id, tagSet: tags.map((t) => ({ key: t.key, value: t.value })) };
});

export const createKeyPair = defineAction(
  "CreateKeyPair",
  { KeyName: KEY_NAME, KeyType: str({ oneOf: ["rsa", "ed25519"] }), KeyFormat: str({ oneOf: ["pem", "ppk"] }), TagSpecification: tagSpecificationList },
  async (context, p) => {
    checkTagSpecifications(p.TagSpecification, ["key-pair"]);
    if (p.KeyType === "ed25519") throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "CreateKeyPair makes RSA keys only; generate an ed25519 key yourself and use ImportKeyPair.");
    if (p.KeyFormat === "ppk") throw new OrchestraError("EC2_UNSUPPORTED_OPERATION", "CreateKeyPair returns PEM keys only.");
    const pair = generateRsaKeyPair();
    const tags = tagsFor(p.TagSpecification, "key-pair");
    const id = await insertKeyPair(context, p.KeyName, "rsa", pair.fingerprint, pair.publicKey.line, tags);
    return { keyName: p.KeyName, keyFingerprint: pair.fingerprint, keyMaterial: pair.privateKeyPem, keyPairId: id, tagSet: tags.map((t) => ({ key: t.key, value: t.value })) };
  },
);

const FIELDS: FilterFields<KeyPairRow> = {
  "key-name": (k) => k.key_name,
  "key-pair-id": (k) => k.key_pair_id,
  fingerprint: (k) => k.fingerprint,
  "key-type": (k) => k.key_type,
};

export const describeKeyPairs = defineAction(
  "DescribeKeyPairs",
  { KeyName: list(str({ max: 255 }), { max: 1000 }), KeyPairId: list(str({ max: 64 }), { max: 1000 }), IncludePublicKey: bool(), Filter: filterList },
  async (context, p) => {
    const rows = await context.services.db.all<KeyPairRow>(
      "SELECT key_pair_id, key_name, key_type, fingerprint, public_key, created_at FROM ec2_key_pairs WHERE account = $1 ORDER BY key_name",
      [context.account],
    );
    for (const name of p.KeyName) if (!rows.some((r) => r.key_name === name)) throw new OrchestraError("EC2_KEY_PAIR_NOT_FOUND", `The key pair '${name}' does not exist`);
    for (const id of p.KeyPairId) if (!rows.some((r) => r.key_pair_id === id)) throw new OrchestraError("EC2_KEY_PAIR_NOT_FOUND", `The key pair '${id}' does not exist`);
    const tags = await tagsByResource(context.services.db, context.account, "key");
    const keep = compileFilters(p.Filter, FIELDS, (k: KeyPairRow) => tags.get(k.key_pair_id) ?? new Map());
    const chosen = rows.filter((r) => (p.KeyName.length === 0 || p.KeyName.includes(r.key_name)) && (p.KeyPairId.length === 0 || p.KeyPairId.includes(r.key_pair_id)) && keep(r));
    return {
      keySet: chosen.map((r) => ({
        keyPairId: r.key_pair_id,
        keyFingerprint: r.fingerprint,
        keyName: r.key_name,
        keyType: r.key_type,
        tagSet: tagSet(tags.get(r.key_pair_id)),
        publicKey: p.IncludePublicKey ? r.public_key : undefined,
        createTime: new Date(r.created_at),
      })),
    };
  },
);

export const deleteKeyPair = defineAction("DeleteKeyPair", { KeyName: str({ max: 255 }), KeyPairId: str({ max: 64 }) }, async (context, p) => {
  if (p.KeyName === undefined && p.KeyPairId === undefined) throw new OrchestraError("MISSING_ARGUMENT", "The request must contain the parameter KeyName or KeyPairId.");
  // AWS answers true for a key that does not exist: deleting is idempotent.
  await context.services.db.transaction(async (tx) => {
    const row = await tx.get<{ key_pair_id: string }>(
      "SELECT key_pair_id FROM ec2_key_pairs WHERE account = $1 AND (key_name = $2 OR key_pair_id = $3)",
      [context.account, p.KeyName ?? null, p.KeyPairId ?? null],
    );
    if (!row) return;
    await tx.run("DELETE FROM ec2_tags WHERE account = $1 AND resource_id = $2", [context.account, row.key_pair_id]);
    await tx.run("DELETE FROM ec2_key_pairs WHERE key_pair_id = $1", [row.key_pair_id]);
  });
  return { return: true };
});
