/**
 * @module maas/model/maas-services
 * What the MAAS API's operations use, passed in when it is mounted.
 */
import type { ConsoleLogSource } from "../../deploy/console-log.ts";
import type { Ec2Topology } from "../../ec2/model/ec2-services.ts";
import type { Inventory } from "../../inventory/inventory.ts";
import type { SqlDatabase } from "../../store/sql-database.ts";
import type { MaasKeyLookup } from "../credentials/maas-key-store.ts";
import type { MaasImageSource } from "./boot-resources.ts";

/** Where the API is served: every resource_uri starts with it. */
export const MAAS_API_PATH = "/MAAS/api/2.0";

/** Everything a MAAS operation may touch. */
export interface MaasServices {
  readonly db: SqlDatabase;
  readonly inventory: Inventory;
  readonly lookupKey: MaasKeyLookup;
  /** The same network EC2 presents: its per-zone subnets are MAAS's subnets. */
  readonly topology: Ec2Topology;
  readonly images: MaasImageSource;
  /** Vendor-data every new deployment's metadata carries, as for EC2 instances. */
  readonly vendorData?: string;
  readonly consoles?: ConsoleLogSource;
  readonly now: () => Date;
}

/** A verified request: who calls, and the services. */
export interface MaasContext {
  readonly account: string;
  readonly services: MaasServices;
}
