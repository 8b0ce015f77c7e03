/**
 * @module ec2/model/ec2-services
 * The services EC2 actions use, passed in explicitly when the server is built.
 */
import type { Inventory } from "../../inventory/inventory.ts";
import type { SqlDatabase } from "../../store/sql-database.ts";
import type { CredentialStore } from "../credentials/credential-store.ts";
import type { ImageSource } from "./image-source.ts";
import type { ConsoleLogSource } from "../../deploy/console-log.ts";
import type { NodeSetup } from "../../managed/node-setup.ts";

/** The region and network Orchestra presents itself as. */
export interface Ec2Topology {
  /** The one region this endpoint serves; SigV4 scopes must name it. */
  readonly region: string;
  /** The provisioning network, shown as the default VPC (IPv4 CIDR, prefix /8 to /24). */
  readonly vpcCidr: string;
}

/** Everything an EC2 action may touch. */
export interface Ec2Services {
  readonly topology: Ec2Topology;
  readonly db: SqlDatabase;
  readonly inventory: Inventory;
  readonly credentials: CredentialStore;
  readonly now: () => Date;
  /** The image store's deployable images (omitted: the built-in catalogue only). */
  readonly images?: ImageSource;
  /** Vendor-data every new instance's metadata carries (Orchestra's client setup), if any. */
  readonly vendorData?: string;
  /** Per-instance client setup (credentials minted at launch); takes the place of vendorData when given. */
  readonly nodeSetup?: NodeSetup;
  /** Machines' serial console logs, for GetConsoleOutput (omitted: the lifecycle log stands in). */
  readonly consoles?: ConsoleLogSource;
  /** Instances per query when DescribeInstances streams (default 500; tests pick a few to cross batch edges). */
  readonly instanceScanBatch?: number;
}

/** The defaults `orchestra serve` uses. */
export const DEFAULT_TOPOLOGY: Ec2Topology = { region: "orchestra", vpcCidr: "10.0.0.0/16" };
