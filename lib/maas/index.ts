/**
 * @module maas
 * A MAAS 2.0-compatible API for Juju's maas provider and other MAAS clients, over the same
 * inventory, deployment path and accounts as the EC2 API.
 */
export { maasApi, type MaasApiOptions } from "./http/maas-api.ts";
export { MaasKeyStore, type NewMaasApiKey, type MaasApiKeySummary } from "./credentials/maas-key-store.ts";
export { MAAS_API_PATH, type MaasServices } from "./model/maas-services.ts";
export { storeMaasImages, type MaasImageSource } from "./model/boot-resources.ts";
export { MAAS_MIGRATION } from "./model/maas-schema.ts";
