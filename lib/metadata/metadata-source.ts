/**
 * @module metadata/metadata-source
 * What the metadata service serves, and the interface it reads it through. The EC2 and
 * deployment code feed a source; the service only asks it "who is at this address?" and
 * "whose NoCloud secret is this?", so a node can only ever be answered with its own data.
 */

/** One SSH public key offered to an instance (`public-keys/0=name`). */
export interface PublicKey {
  readonly name: string;
  /** One OpenSSH public key line, e.g. "ssh-ed25519 AAAA... user@host". */
  readonly openssh: string;
}

/** Everything the metadata service knows about one running instance. */
export interface InstanceMetadata {
  readonly instanceId: string;
  /** The machine behind the instance (its system id). */
  readonly machineId: string | null;
  /** The EC2 account (owner) of the instance, for the identity document. */
  readonly accountId: string;
  /** The address the node's requests come from; null until deployment knows it. */
  readonly localIpv4: string | null;
  readonly hostname: string;
  readonly mac: string | null;
  readonly amiId: string | null;
  readonly instanceType: string | null;
  readonly availabilityZone: string;
  readonly region: string;
  readonly architecture: string | null;
  readonly publicKeys: readonly PublicKey[];
  /** The caller's user-data, byte for byte; null when none was given. */
  readonly userData: Uint8Array | null;
  /** NoCloud vendor-data (Orchestra's own client setup); null when none. */
  readonly vendorData: string | null;
  /** The secret path segment of this deployment's NoCloud URL; null when none. */
  readonly nocloudSecret: string | null;
  /** When the instance was launched (ISO 8601). */
  readonly launchedAt: string;
}

/** Where the metadata service reads from. */
export interface MetadataSource {
  /** The running instance whose node has `address` (IPv4), if any. */
  findByAddress(address: string): Promise<InstanceMetadata | undefined>;
  /** The running instance whose NoCloud secret is `secret`, if any. */
  findByNocloudSecret(secret: string): Promise<InstanceMetadata | undefined>;
  /**
   * Bind an instance whose address is still unknown to the first address that reads its
   * NoCloud data; answers whether `address` holds it now. A source without it leaves the
   * secret alone enough until deployment learns the address.
   */
  claimNocloudAddress?(instanceId: string, address: string): Promise<boolean>;
}
