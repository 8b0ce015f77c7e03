/**
 * @module ec2
 * The EC2-compatible Query API: wire parsing, SigV4, XML, actions, credentials and the
 * HTTP endpoint that `orchestra serve` listens with.
 */
export { parseForm, decodeComponent, isXmlSafe, MAX_PAIRS, type FormPair } from "./query/parse-form.ts";
export { str, int, bool, list, struct, filterList, tagSpecificationList, pagination, type Shape, type Infer, type InferFields } from "./query/param-shape.ts";
export { readParams } from "./query/read-params.ts";
export { verifySigV4, scopedService, uriEncode, MAX_CLOCK_SKEW_MS, MAX_PRESIGN_SECONDS, PRESIGN_PARAMETERS, type SecretLookup, type SignedRequest, type VerifiedCaller, type VerifyOptions } from "./auth/sigv4.ts";
export { renderResponse, renderError, escapeXml, EC2_NAMESPACE, type XmlObject, type XmlValue } from "./xml/render-xml.ts";
export { defineAction, type Ec2Action } from "./actions/define-action.ts";
export { buildActionTable, EC2_ACTIONS } from "./actions/action-table.ts";
export { CredentialStore, type CredentialSummary, type NewCredential } from "./credentials/credential-store.ts";
export { secretBox, loadOrCreateSecretKey, SECRET_KEY_FILE, type SecretBox } from "./credentials/secret-box.ts";
export { newAccessKeyId, newSecretAccessKey, isAccessKeyId } from "./credentials/access-key.ts";
export { parseSshPublicKey, importedKeyFingerprint, generateRsaKeyPair, type SshPublicKey } from "./keys/ssh-public-key.ts";
export { DEFAULT_TOPOLOGY, type Ec2Services, type Ec2Topology } from "./model/ec2-services.ts";
export type { Ec2Context } from "./model/ec2-context.ts";
export { EC2_INSTANCE_ATTRIBUTES_MIGRATION, EC2_MIGRATION } from "./model/ec2-schema.ts";
export { IMAGES, findImage, ec2Architecture, type Image } from "./model/image-catalogue.ts";
export { INSTANCE_STATES, TERMINATED_VISIBLE_MS, instanceState, isInstanceStateName, type InstanceStateName } from "./model/instance-state.ts";
export { mapState, loadInstances, type InstanceRecord } from "./model/instance-records.ts";
export { applyFilters, compileFilters, type Filter, type FilterFields } from "./model/filters.ts";
export { paginate, type Page } from "./model/pagination.ts";
export { ec2HttpStatus } from "./http/ec2-status.ts";
export { createEc2Server, EC2_API_VERSION, DEFAULT_BODY_LIMIT, type Ec2ServerOptions } from "./http/ec2-server.ts";
export { getCallerIdentity, STS_ACTIONS, STS_API_VERSION, STS_NAMESPACE } from "./sts/sts-actions.ts";
export { renderStsError, renderStsResponse } from "./sts/sts-xml.ts";
export { namedInstances } from "./model/instance-ids.ts";
export { INSTANCE_ATTRIBUTES } from "./actions/instance-attributes.ts";
