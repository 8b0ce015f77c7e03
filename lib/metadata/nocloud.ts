/**
 * @module metadata/nocloud
 * NoCloud's `meta-data` document (YAML) for an instance; `user-data` and `vendor-data` are
 * served as stored.
 */
import { dump } from "js-yaml";
import type { InstanceMetadata } from "./metadata-source.ts";

/** The NoCloud meta-data YAML: instance id, host name and SSH keys. */
export function nocloudMetaData(md: InstanceMetadata): string {
  const document: Record<string, unknown> = { "instance-id": md.instanceId, "local-hostname": md.hostname };
  if (md.publicKeys.length > 0) document["public-keys"] = md.publicKeys.map((key) => key.openssh);
  return dump(document, { lineWidth: -1 });
}
