/**
 * @module maas/operations/server-info
 * `version/` and `users/?op=whoami`: what gomaasapi's NewController reads first (the API
 * version and capabilities) and how it checks the credentials.
 */
import { MAAS_API_PATH } from "../model/maas-services.ts";
import { defineOperation } from "./define-operation.ts";

/** The MAAS release whose API Orchestra answers as. */
export const MAAS_VERSION = "2.9.2";

/**
 * The capabilities MAAS 2.9 announces that Orchestra's answers support: networks are listed
 * (networks-management), addresses are static per node (static-ipaddresses), devices can be
 * listed (devices-management), the API is authenticated (authenticate-api), and a deployed
 * node's network is set up from the one subnet it boots on (network-deployment-ubuntu).
 * Storage layouts and bridging are not done, so their capabilities are not claimed.
 */
export const CAPABILITIES = ["networks-management", "static-ipaddresses", "devices-management", "network-deployment-ubuntu", "authenticate-api"] as const;

export const version = defineOperation({
  method: "GET",
  resource: "version",
  op: "",
  params: [],
  anonymous: true,
  run: async () => ({ capabilities: [...CAPABILITIES], version: MAAS_VERSION, subversion: "orchestra" }),
});

export const whoami = defineOperation({
  method: "GET",
  resource: "users",
  op: "whoami",
  params: [],
  run: async ({ account }) => ({ username: account, email: "", is_superuser: false, is_local: true, resource_uri: `${MAAS_API_PATH}/users/${encodeURIComponent(account)}/` }),
});
