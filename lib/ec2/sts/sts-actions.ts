/**
 * @module ec2/sts/sts-actions
 * The minimal STS the infrastructure-as-code tools need beside EC2: GetCallerIdentity, which
 * Terraform's AWS provider calls at start-up to learn the account. Served on the EC2
 * listener; a request is STS when its SigV4 credential scope names the service `sts`.
 */
import type { Ec2Action } from "../actions/define-action.ts";
import { buildActionTable } from "../actions/action-table.ts";
import { defineAction } from "../actions/define-action.ts";

/** The STS API version served. */
export const STS_API_VERSION = "2011-06-15";
/** The namespace of STS responses. */
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** The caller's identity: its account's 12-digit id, and the access key standing for an IAM user named after the account. */
export const getCallerIdentity = defineAction("GetCallerIdentity", {}, async ({ account, ownerId, accessKeyId }) => {
  return { Arn: `arn:aws:iam::${ownerId}:user/${account}`, UserId: accessKeyId, Account: ownerId };
});

/** The STS actions Orchestra answers. */
export const STS_ACTIONS: ReadonlyMap<string, Ec2Action<any>> = buildActionTable([getCallerIdentity]);
