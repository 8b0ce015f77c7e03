/**
 * @module tests/ec2/helpers/ec2-harness
 * An in-process EC2 endpoint over a fresh in-memory store (or a given PostgreSQL), listening on 127.0.0.1 with a
 * free port, plus AWS SDK clients for it. The same createEc2Server `orchestra serve` uses.
 */
import type { NodeSetup } from "../../../lib/managed/node-setup.ts";
import { randomBytes } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { Inventory } from "../../../lib/inventory/index.ts";
import { openStore } from "../../../lib/store/open-store.ts";
import { CredentialStore, type NewCredential } from "../../../lib/ec2/credentials/credential-store.ts";
import { secretBox } from "../../../lib/ec2/credentials/secret-box.ts";
import { createEc2Server, type Ec2ServerOptions } from "../../../lib/ec2/http/ec2-server.ts";
import type { Ec2Services } from "../../../lib/ec2/model/ec2-services.ts";
import type { ImageSource } from "../../../lib/ec2/model/image-source.ts";
import { addReadyMachines } from "../../helpers/inventory.ts";

/** A running endpoint. */
export interface Ec2Harness {
  readonly endpoint: string;
  readonly host: string;
  readonly region: string;
  readonly services: Ec2Services;
  /** A client for a new access key of `account`. */
  client(account?: string): Promise<EC2Client & { credential: NewCredential }>;
  /** Add ready machines with the fake power type. */
  addMachines(count: number, spec?: Parameters<typeof addReadyMachines>[2]): Promise<string[]>;
  /** How many HTTP requests the endpoint has received (to count a client's retries). */
  requestCount(): number;
  close(): Promise<void>;
}

/** Start an endpoint; call close() in afterAll. */
export async function startEc2Harness(options: { bodyLimit?: number; databaseUrl?: string; modelClock?: () => Date; images?: ImageSource; vendorData?: string; metrics?: Ec2ServerOptions["metrics"]; nodeSetup?: NodeSetup; logger?: Ec2ServerOptions["logger"]; instanceScanBatch?: number } = {}): Promise<Ec2Harness> {
  const db = await openStore(":memory:", options.databaseUrl ? { databaseUrl: options.databaseUrl } : {});
  const inventory = new Inventory(db);
  const credentials = new CredentialStore(db, secretBox(randomBytes(32)));
  const region = "orchestra";
  const services: Ec2Services = { topology: { region, vpcCidr: "10.20.0.0/16" }, db, inventory, credentials, now: options.modelClock ?? (() => new Date()), ...(options.images ? { images: options.images } : {}), ...(options.vendorData ? { vendorData: options.vendorData } : {}), ...(options.nodeSetup ? { nodeSetup: options.nodeSetup } : {}), ...(options.instanceScanBatch ? { instanceScanBatch: options.instanceScanBatch } : {}) };
  // Only unexpected failures are logged: a test that provokes a 500 shows its stack.
  const logger = options.logger ?? pino({ level: "error" }, pino.destination(2));
  // modelClock moves the EC2 model's time (e.g. terminated-instance expiry) but not the
  // clock signatures are checked against, so the SDK's requests stay valid.
  const app = createEc2Server({ services, lookupSecret: credentials.lookup, bodyLimit: options.bodyLimit, logger, ...(options.metrics ? { metrics: options.metrics } : {}) });
  let requests = 0;
  app.addHook("onRequest", async () => void requests++);
  const endpoint = await app.listen({ host: "127.0.0.1", port: 0 });
  const clients: EC2Client[] = [];
  return {
    endpoint,
    host: new URL(endpoint).host,
    region,
    services,
    async client(account = "default") {
      const credential = await credentials.create(account);
      const client = new EC2Client({
        endpoint,
        region,
        credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(client);
      return Object.assign(client, { credential });
    },
    addMachines: (count, spec) => addReadyMachines(inventory, count, spec),
    requestCount: () => requests,
    async close() {
      for (const client of clients) client.destroy();
      await app.close();
      await db.close();
    },
  };
}

/** A snapshot of every row the EC2 API and the inventory write, to prove a refused request changed nothing. */
export async function storeSnapshot(services: Ec2Services): Promise<string> {
  const tables = ["machines", "machine_events", "instances", "ec2_accounts", "ec2_credentials", "ec2_instances", "ec2_instance_groups", "ec2_client_tokens", "ec2_security_groups", "ec2_security_group_rules", "ec2_key_pairs", "ec2_tags", "instance_metadata", "power_requests"];
  const parts: string[] = [];
  for (const table of tables) parts.push(table, JSON.stringify(await services.db.all(`SELECT * FROM ${table} ORDER BY 1, 2`)));
  return parts.join("\n");
}
