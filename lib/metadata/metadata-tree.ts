/**
 * @module metadata/metadata-tree
 * The EC2 metadata tree of one instance, and path lookup in it: a directory answers with
 * its listing (one name a line, `name/` for a subtree), a leaf with its value. Pure: the
 * service decides who may ask; this only answers what is at a path.
 */
import type { InstanceMetadata } from "./metadata-source.ts";

/** A directory: its entries, and optionally the listing EC2 shows for it. */
export interface Directory {
  readonly entries: ReadonlyMap<string, Node>;
  /** EC2 lists public keys as `0=name`, not by their path names. */
  readonly listing?: readonly string[];
}

export type Node = string | Directory;

/** What a path holds. */
export type TreeAnswer = { readonly kind: "listing"; readonly body: string } | { readonly kind: "leaf"; readonly body: string };

function directory(entries: Record<string, Node | null | undefined>, listing?: string[]): Directory {
  const present = new Map<string, Node>();
  for (const [name, node] of Object.entries(entries)) if (node !== null && node !== undefined) present.set(name, node);
  return listing ? { entries: present, listing } : { entries: present };
}

/** The `meta-data/` tree of an instance; absent values are left out, not served empty. */
export function metaDataTree(md: InstanceMetadata): Directory {
  const keys = md.publicKeys.length === 0
    ? null
    : directory(Object.fromEntries(md.publicKeys.map((key, i) => [String(i), directory({ "openssh-key": key.openssh })])), md.publicKeys.map((key, i) => `${i}=${key.name}`));
  return directory({
    "ami-id": md.amiId,
    hostname: md.hostname,
    "instance-id": md.instanceId,
    "instance-type": md.instanceType,
    "local-hostname": md.hostname,
    "local-ipv4": md.localIpv4,
    mac: md.mac,
    placement: directory({ "availability-zone": md.availabilityZone, region: md.region }),
    "public-keys": keys,
  });
}

/** The instance identity document (`dynamic/instance-identity/document`). */
export function identityDocument(md: InstanceMetadata): Record<string, unknown> {
  return {
    accountId: md.accountId,
    architecture: md.architecture === "amd64" ? "x86_64" : md.architecture === "arm64" ? "arm64" : md.architecture,
    availabilityZone: md.availabilityZone,
    imageId: md.amiId,
    instanceId: md.instanceId,
    instanceType: md.instanceType,
    pendingTime: md.launchedAt,
    privateIp: md.localIpv4,
    region: md.region,
    version: "2017-09-30",
  };
}

/** The whole tree under a version (`/latest/`). */
export function versionTree(md: InstanceMetadata): Directory {
  return directory({
    dynamic: directory({ "instance-identity": directory({ document: JSON.stringify(identityDocument(md), null, 2) }) }),
    "meta-data": metaDataTree(md),
    // user-data is served as bytes by its own route; listed here as EC2 lists it.
    "user-data": md.userData ? "" : null,
  });
}

/**
 * What is at `segments` in `root`; `wantsListing` is true when the path ended in "/".
 * A leaf asked for with a trailing slash is not found, as on EC2.
 */
export function lookup(root: Directory, segments: readonly string[], wantsListing: boolean): TreeAnswer | undefined {
  let node: Node = root;
  for (const segment of segments) {
    if (typeof node === "string") return undefined;
    const next: Node | undefined = node.entries.get(segment);
    if (next === undefined) return undefined;
    node = next;
  }
  if (typeof node === "string") return wantsListing ? undefined : { kind: "leaf", body: node };
  const listing = node.listing ?? [...node.entries].map(([name, child]) => (typeof child === "string" ? name : `${name}/`));
  return { kind: "listing", body: listing.join("\n") };
}
