/**
 * @module metadata/store-metadata-source
 * The MetadataSource over Orchestra's store (table instance_metadata). Only open instances
 * are served: once an instance ends, its node's address and NoCloud secret answer nothing.
 */
import { isIPv4 } from "node:net";
import { OrchestraError } from "../errors.ts";
import { isInstanceId } from "../inventory/ids.ts";
import { accountNumber } from "../inventory/account-number.ts";
import { parseMac } from "../inventory/mac-address.ts";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.ts";
import type { StoreSecrets } from "../store/store-secrets.ts";
import type { InstanceMetadata, MetadataSource, PublicKey } from "./metadata-source.ts";
import { isNocloudSecret } from "./nocloud-secret.ts";

/** What the EC2 and deployment code record for an instance. */
export interface MetadataInput {
  readonly instanceId: string;
  readonly localIpv4?: string | null;
  readonly hostname: string;
  readonly mac?: string | null;
  readonly amiId?: string | null;
  readonly instanceType?: string | null;
  readonly availabilityZone: string;
  /** Defaults to "orchestra". */
  readonly region?: string;
  readonly publicKeys?: readonly PublicKey[];
  readonly userData?: Uint8Array | null;
  readonly vendorData?: string | null;
  readonly nocloudSecret?: string | null;
}

/** EC2's limit on user-data, which Orchestra keeps. */
export const MAX_USER_DATA_BYTES = 16 * 1024;

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const NAME = /^[A-Za-z0-9_.@+-]{1,64}$/;
const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;
const IMAGE_ID = /^[a-z]{3}-[0-9a-f]{8,17}$/;
const INSTANCE_TYPE = /^[a-z0-9-]{1,32}\.[a-z0-9-]{1,32}$/;
// One key on one line: type, base64 body, optional comment. A newline would forge another key.
const OPENSSH_KEY = /^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}(?: [^\r\n]{0,256})?$/;

interface MetadataRow {
  instance_id: string;
  machine_id: string | null;
  account: string;
  created_at: string;
  architecture: string | null;
  local_ipv4: string | null;
  hostname: string;
  mac: string | null;
  ami_id: string | null;
  instance_type: string | null;
  zone: string;
  region: string;
  public_keys: string;
  user_data: string | null;
  vendor_data: string | null;
  nocloud_secret: string | null;
  sealed_nocloud_secret: string | null;
}

const SELECT = `SELECT md.instance_id, i.machine_id, i.account, i.created_at, m.architecture, md.local_ipv4, md.hostname, md.mac,
  md.ami_id, md.instance_type, md.zone, md.region, md.public_keys, md.user_data, md.vendor_data, md.nocloud_secret, md.sealed_nocloud_secret
  FROM instance_metadata md
  JOIN instances i ON i.instance_id = md.instance_id AND i.ended_at IS NULL
  LEFT JOIN machines m ON m.system_id = i.machine_id`;

/** Define `key` on `target` as a value worked out on first read (and kept): an enumerable property like any other. */
function openedOnRead<T extends object>(target: T, key: keyof T & string, open: () => T[keyof T & string]): void {
  let value: { v: T[keyof T & string] } | undefined;
  Object.defineProperty(target, key, { enumerable: true, get: () => (value ??= { v: open() }).v });
}

// At rest, user-data is sealed and the NoCloud secret column holds its keyed hash (what it is
// looked up by) beside a sealed copy (lib/store/store-secrets.ts); callers see plain values.
// The sealed fields are opened (AES-GCM) when first read: each of a node's seed requests needs
// one of them at most, and opening all three on each was a deployment's cost for nothing
// (tests/bench/deploy-overhead.ts). A row found by its NoCloud secret is given that secret.
function toMetadata(row: MetadataRow, secrets: StoreSecrets, knownSecret?: string): InstanceMetadata {
  const metadata: InstanceMetadata = {
    instanceId: row.instance_id,
    machineId: row.machine_id,
    accountId: accountNumber(row.account),
    localIpv4: row.local_ipv4,
    hostname: row.hostname,
    mac: row.mac,
    amiId: row.ami_id,
    instanceType: row.instance_type,
    availabilityZone: row.zone,
    region: row.region,
    architecture: row.architecture,
    publicKeys: JSON.parse(row.public_keys) as PublicKey[],
    userData: null,
    vendorData: null,
    nocloudSecret: knownSecret ?? (row.sealed_nocloud_secret === null ? row.nocloud_secret : null),
    launchedAt: row.created_at,
  };
  const { user_data: userData, vendor_data: vendorData, sealed_nocloud_secret: sealedSecret } = row;
  if (userData !== null) openedOnRead(metadata, "userData", () => new Uint8Array(Buffer.from(secrets.open(userData, `instance:${row.instance_id}:metadata-user-data`), "base64")));
  // Sealed: a managed node's vendor-data carries its private key and puppet challenge.
  if (vendorData !== null) openedOnRead(metadata, "vendorData", () => secrets.open(vendorData, `instance:${row.instance_id}:vendor-data`));
  if (knownSecret === undefined && sealedSecret !== null) openedOnRead(metadata, "nocloudSecret", () => secrets.open(sealedSecret, `instance:${row.instance_id}:nocloud`));
  return metadata;
}

function invalid(message: string, field: string): OrchestraError {
  return new OrchestraError("INVALID_ARGUMENT", message, { field });
}

function optional<T>(value: T | null | undefined, check: (v: T) => boolean, message: string, field: string): T | null {
  if (value === undefined || value === null) return null;
  if (!check(value)) throw invalid(message, field);
  return value;
}

/** Check an input completely before anything is written. */
function validate(input: MetadataInput): MetadataInput & { mac: string | null } {
  if (typeof input?.instanceId !== "string" || !isInstanceId(input.instanceId)) throw invalid(`instance id ${JSON.stringify(input?.instanceId)} is not i- and 17 hex digits`, "instanceId");
  optional(input.localIpv4, (v) => typeof v === "string" && isIPv4(v), `local IPv4 ${JSON.stringify(input.localIpv4)} is not an IPv4 address`, "localIpv4");
  if (typeof input.hostname !== "string" || !HOSTNAME.test(input.hostname)) throw invalid(`hostname ${JSON.stringify(input.hostname)} is not a valid host name`, "hostname");
  const mac = input.mac === undefined || input.mac === null ? null : parseMac(input.mac);
  optional(input.amiId, (v) => typeof v === "string" && IMAGE_ID.test(v), `image id ${JSON.stringify(input.amiId)} is not like ami-0123abcd`, "amiId");
  optional(input.instanceType, (v) => typeof v === "string" && INSTANCE_TYPE.test(v), `instance type ${JSON.stringify(input.instanceType)} is not FAMILY.SIZE`, "instanceType");
  if (typeof input.availabilityZone !== "string" || !ZONE.test(input.availabilityZone)) throw invalid(`availability zone ${JSON.stringify(input.availabilityZone)} is not a zone name`, "availabilityZone");
  optional(input.region, (v) => typeof v === "string" && ZONE.test(v), `region ${JSON.stringify(input.region)} is not a region name`, "region");
  const keys = input.publicKeys ?? [];
  if (!Array.isArray(keys) || keys.length > 16) throw invalid("at most 16 public keys", "publicKeys");
  for (const key of keys) {
    if (typeof key?.name !== "string" || !NAME.test(key.name)) throw invalid(`public key name ${JSON.stringify(key?.name)} is not 1-64 letters, digits or _.@+-`, "publicKeys");
    if (typeof key.openssh !== "string" || !OPENSSH_KEY.test(key.openssh)) throw invalid(`public key ${key.name} is not one OpenSSH public key line`, "publicKeys");
  }
  if (input.userData !== undefined && input.userData !== null) {
    if (!(input.userData instanceof Uint8Array)) throw invalid("user-data must be bytes", "userData");
    if (input.userData.byteLength > MAX_USER_DATA_BYTES) throw invalid(`user-data is ${input.userData.byteLength} bytes; the limit is ${MAX_USER_DATA_BYTES}`, "userData");
  }
  optional(input.vendorData, (v) => typeof v === "string" && Buffer.byteLength(v) <= 64 * 1024, "vendor-data must be text of at most 64 KiB", "vendorData");
  optional(input.nocloudSecret, (v) => typeof v === "string" && isNocloudSecret(v), "a NoCloud secret is 32-96 characters of A-Z a-z 0-9 _ -", "nocloudSecret");
  return { ...input, mac };
}

/** The store-backed MetadataSource, with the writes the EC2 and deployment code use. */
export class StoreMetadataSource implements MetadataSource {
  readonly db: SqlDatabase;
  readonly #now: () => Date;

  constructor(db: SqlDatabase, options: { now?: () => Date } = {}) {
    this.db = db;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Record (or replace) an open instance's metadata.
   * @throws INVALID_ARGUMENT, INSTANCE_NOT_FOUND (no open instance), METADATA_ADDRESS_IN_USE.
   */
  async put(input: MetadataInput): Promise<InstanceMetadata> {
    return this.db.transaction((tx) => this.putWithin(tx, input));
  }

  /**
   * `put` inside the caller's transaction, so RunInstances records an instance and what its
   * node will be told in one commit.
   */
  async putWithin(tx: SqlExecutor, input: MetadataInput): Promise<InstanceMetadata> {
    const instanceId = await this.recordWithin(tx, input);
    return toMetadata((await selectOne(tx, "md.instance_id = $1", instanceId))!, tx.secrets);
  }

  /**
   * `putWithin` without reading the record back (and opening its sealed parts) to answer
   * it: a deployment writes what the node will read and needs nothing back. Answers the
   * instance id as validated. With `fresh`, the caller made the instance and its NoCloud
   * secret in this transaction, so neither is checked again.
   */
  async recordWithin(tx: SqlExecutor, input: MetadataInput, options: { fresh?: boolean } = {}): Promise<string> {
    const valid = validate(input);
    // A launch made the instance and the secret in this transaction: the instance is open,
    // has no record to replace, and no other holds a secret of 32 random bytes (the column's
    // UNIQUE would still refuse one). Those three statements were a seventh of a launch's.
    if (!options.fresh) {
      const open = await tx.get<{ instance_id: string }>("SELECT instance_id FROM instances WHERE instance_id = $1 AND ended_at IS NULL", [valid.instanceId]);
      if (!open) throw new OrchestraError("INSTANCE_NOT_FOUND", `no open instance ${valid.instanceId}`, { instanceId: valid.instanceId });
    }
    if (valid.localIpv4) {
      const holder = await addressHolder(tx, valid.localIpv4, valid.instanceId);
      if (holder) throw new OrchestraError("METADATA_ADDRESS_IN_USE", `${valid.localIpv4} belongs to instance ${holder.instance_id}`, { localIpv4: valid.localIpv4, instanceId: holder.instance_id });
    }
    if (valid.nocloudSecret && !options.fresh) {
      const holder = await tx.get<{ instance_id: string }>("SELECT instance_id FROM instance_metadata WHERE nocloud_secret = $1 AND instance_id <> $2", [tx.secrets.lookupKey(valid.nocloudSecret), valid.instanceId]);
      if (holder) throw invalid("that NoCloud secret is in use; make a new one", "nocloudSecret");
    }
    if (!options.fresh) await tx.run("DELETE FROM instance_metadata WHERE instance_id = $1", [valid.instanceId]);
    await tx.run(
      `INSERT INTO instance_metadata (instance_id, local_ipv4, hostname, mac, ami_id, instance_type, zone, region, public_keys, user_data, vendor_data, nocloud_secret, sealed_nocloud_secret, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        valid.instanceId,
        valid.localIpv4 ?? null,
        valid.hostname,
        valid.mac,
        valid.amiId ?? null,
        valid.instanceType ?? null,
        valid.availabilityZone,
        valid.region ?? "orchestra",
        JSON.stringify((valid.publicKeys ?? []).map((k) => ({ name: k.name, openssh: k.openssh }))),
        valid.userData ? tx.secrets.seal(Buffer.from(valid.userData).toString("base64"), `instance:${valid.instanceId}:metadata-user-data`) : null,
        valid.vendorData ? tx.secrets.seal(valid.vendorData, `instance:${valid.instanceId}:vendor-data`) : null,
        valid.nocloudSecret ? tx.secrets.lookupKey(valid.nocloudSecret) : null,
        valid.nocloudSecret ? tx.secrets.seal(valid.nocloudSecret, `instance:${valid.instanceId}:nocloud`) : null,
        this.#now().toISOString(),
      ],
    );
    return valid.instanceId;
  }

  /**
   * Record the address an instance's node turned out to have (deployment learns it when the
   * deployed system calls back), replacing what the instance had, unless another open
   * instance holds that address. Answers whether the address was recorded.
   */
  async recordAddressWithin(tx: SqlExecutor, instanceId: string, address: string): Promise<boolean> {
    if (!isIPv4(address)) return false;
    if (await addressHolder(tx, address, instanceId)) return false;
    return (await tx.run("UPDATE instance_metadata SET local_ipv4 = $2, updated_at = $3 WHERE instance_id = $1", [instanceId, address, this.#now().toISOString()])) > 0;
  }

  /** The address an instance's node has been seen at (null: not yet), undefined without metadata. */
  async addressOf(instanceId: string): Promise<string | null | undefined> {
    return (await this.db.get<{ local_ipv4: string | null }>("SELECT local_ipv4 FROM instance_metadata WHERE instance_id = $1", [instanceId]))?.local_ipv4;
  }

  /**
   * Bind an instance whose address is not known yet to the first address that reads its
   * NoCloud metadata (the secret alone is enough only once); answers whether `address` now holds it.
   */
  async claimNocloudAddress(instanceId: string, address: string): Promise<boolean> {
    if (!isIPv4(address)) return false;
    return this.db.transaction(async (tx) => {
      if (await addressHolder(tx, address, instanceId)) return false;
      await tx.run("UPDATE instance_metadata SET local_ipv4 = $2, updated_at = $3 WHERE instance_id = $1 AND local_ipv4 IS NULL", [instanceId, address, this.#now().toISOString()]);
      return (await this.#addressOfWithin(tx, instanceId)) === address;
    });
  }

  async #addressOfWithin(tx: SqlExecutor, instanceId: string): Promise<string | null | undefined> {
    return (await tx.get<{ local_ipv4: string | null }>("SELECT local_ipv4 FROM instance_metadata WHERE instance_id = $1", [instanceId]))?.local_ipv4;
  }

  /** Replace an open instance's user data (ModifyInstanceAttribute while stopped); answers whether it had metadata. */
  async setUserDataWithin(tx: SqlExecutor, instanceId: string, userData: Uint8Array | null): Promise<boolean> {
    const sealed = userData && userData.length > 0 ? tx.secrets.seal(Buffer.from(userData).toString("base64"), `instance:${instanceId}:metadata-user-data`) : null;
    return (await tx.run("UPDATE instance_metadata SET user_data = $2, updated_at = $3 WHERE instance_id = $1", [instanceId, sealed, this.#now().toISOString()])) > 0;
  }

  /** Forget an instance's metadata; returns whether there was any. */
  async remove(instanceId: string): Promise<boolean> {
    return (await this.db.run("DELETE FROM instance_metadata WHERE instance_id = $1", [instanceId])) > 0;
  }

  async findByAddress(address: string): Promise<InstanceMetadata | undefined> {
    if (!isIPv4(address)) return undefined;
    const rows = await this.db.all<MetadataRow>(`${SELECT} WHERE md.local_ipv4 = $1`, [address]);
    // put() keeps addresses unique among open instances; should two ever share one, neither
    // is answered rather than one node being shown the other's data.
    return rows.length === 1 ? toMetadata(rows[0]!, this.db.secrets) : undefined;
  }

  async findByNocloudSecret(secret: string): Promise<InstanceMetadata | undefined> {
    if (!isNocloudSecret(secret)) return undefined;
    const row = await selectOne(this.db, "md.nocloud_secret = $1", this.db.secrets.lookupKey(secret));
    return row && toMetadata(row, this.db.secrets, secret);
  }
}

/** The open instance other than `instanceId` whose metadata claims `address`, if any: addresses stay unique among open instances. */
async function addressHolder(tx: SqlExecutor, address: string, instanceId: string): Promise<{ instance_id: string } | undefined> {
  return tx.get<{ instance_id: string }>(
    "SELECT md.instance_id FROM instance_metadata md JOIN instances i ON i.instance_id = md.instance_id AND i.ended_at IS NULL WHERE md.local_ipv4 = $1 AND md.instance_id <> $2",
    [address, instanceId],
  );
}

async function selectOne(tx: SqlExecutor, where: string, value: string): Promise<MetadataRow | undefined> {
  return tx.get<MetadataRow>(`${SELECT} WHERE ${where}`, [value]);
}
