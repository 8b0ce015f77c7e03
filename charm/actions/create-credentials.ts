/**
 * @module charm/actions/create-credentials
 * `juju run orchestra/leader create-credentials account=juju`: a new EC2 access key.
 */
import { orchestraCli } from "../workloads/orchestra-cli.ts";
import { ActionRefused, type ActionHandler } from "./action-context.ts";

const ACCOUNT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Creates an access key for the account and returns it (the secret is shown only here). */
export const createCredentials: ActionHandler = async ({ params, host, settings }) => {
  const account = String(params.account ?? "");
  if (!ACCOUNT.test(account)) throw new ActionRefused(`account "${account}" must be lowercase letters, digits and dashes`);
  const key = (await orchestraCli(host, settings, ["credentials", "create", "--account", account])) as { accessKeyId?: string; secretAccessKey?: string } | null;
  if (!key?.accessKeyId || !key.secretAccessKey) throw new Error("orchestra credentials create printed no access key");
  return { account, "access-key-id": key.accessKeyId, "secret-access-key": key.secretAccessKey, endpoint: `http://${settings.address}:${settings.config.ec2Port}/`, region: settings.config.region };
};
