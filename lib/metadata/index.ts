export type { InstanceMetadata, MetadataSource, PublicKey } from "./metadata-source.ts";
export { MAX_USER_DATA_BYTES, StoreMetadataSource, type MetadataInput } from "./store-metadata-source.ts";
export { METADATA_VERSIONS, metadataService, type MetadataServiceOptions } from "./metadata-service.ts";
export { ImdsTokens, MAX_TOKEN_TTL, MIN_TOKEN_TTL } from "./imds-token.ts";
export { identityDocument, lookup, metaDataTree, versionTree, type Directory, type TreeAnswer } from "./metadata-tree.ts";
export { nocloudMetaData } from "./nocloud.ts";
export { METADATA_MIGRATION } from "./metadata-schema.ts";
export { isNocloudSecret, newNocloudSecret } from "./nocloud-secret.ts";
