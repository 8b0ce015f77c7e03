/**
 * @module tests/maas/helpers/maas-harness
 * The EC2 endpoint with the MAAS API mounted on it, as `orchestra serve` builds them, over a
 * fresh in-memory store on 127.0.0.1: AWS SDK clients for the EC2 door and a small signed
 * fetch for the MAAS door, so tests can drive both at once against one inventory.
 */
import { randomBytes } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import { pino } from "pino";
import { CredentialStore } from "../../../lib/ec2/credentials/credential-store.ts";
import { secretBox } from "../../../lib/ec2/credentials/secret-box.ts";
import { createEc2Server } from "../../../lib/ec2/http/ec2-server.ts";
import type { Ec2Services } from "../../../lib/ec2/model/ec2-services.ts";
import { Inventory } from "../../../lib/inventory/index.ts";
import { maasApi, MAAS_API_PATH, MaasKeyStore, type MaasImageSource, type MaasServices } from "../../../lib/maas/index.ts";
import { storeMaasImages } from "../../../lib/maas/model/boot-resources.ts";
import { openStore } from "../../../lib/store/open-store.ts";
import { addReadyMachines } from "../../helpers/inventory.ts";

/** A MAAS answer. */
export interface MaasAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: any;
}

/** A caller of the MAAS API with one key. */
export interface MaasCaller {
  readonly apiKey: string;
  get(path: string, query?: Record<string, string | string[]>): Promise<MaasAnswer>;
  post(path: string, op: string, form?: Record<string, string | string[]>): Promise<MaasAnswer>;
}

/** A running endpoint. */
export interface MaasHarness {
  readonly endpoint: string;
  readonly services: MaasServices;
  readonly ec2Services: Ec2Services;
  readonly keys: MaasKeyStore;
  /** A MAAS caller with a new key of `account`. */
  maas(account?: string): Promise<MaasCaller>;
  /** A MAAS caller signing with the given header (or none). */
  raw(authorization: string | undefined): MaasCaller;
  /** An EC2 client with a new access key of `account`. */
  ec2(account?: string): Promise<EC2Client>;
  addMachines(count: number, spec?: Parameters<typeof addReadyMachines>[2]): Promise<string[]>;
  close(): Promise<void>;
}

/** The header gomaasapi sends for `apiKey` (consumer:token:secret). */
export function plaintextHeader(apiKey: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const [consumer, token, secret] = apiKey.split(":");
  return `OAuth realm="MAAS API", oauth_consumer_key="${consumer}", oauth_token="${token}", oauth_signature_method="PLAINTEXT", oauth_signature="${encodeURIComponent(`&${secret}`)}", oauth_timestamp="${timestamp}", oauth_nonce="n${Math.random()}", oauth_version="1.0"`;
}

function form(values: Record<string, string | string[]>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  return out;
}

async function answer(response: Response): Promise<MaasAnswer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text, json };
}

/** Start an endpoint; call close() in afterAll. */
export async function startMaasHarness(options: { images?: MaasImageSource; dataDir?: string; databaseUrl?: string } = {}): Promise<MaasHarness> {
  const db = await openStore(":memory:", options.databaseUrl ? { databaseUrl: options.databaseUrl } : {});
  const inventory = new Inventory(db);
  const box = secretBox(randomBytes(32));
  const credentials = new CredentialStore(db, box);
  const keys = new MaasKeyStore(db, box);
  const topology = { region: "orchestra", vpcCidr: "10.0.0.0/16" };
  const ec2Services: Ec2Services = { topology, db, inventory, credentials, now: () => new Date() };
  const services: MaasServices = { db, inventory, lookupKey: keys.lookup, topology, images: options.images ?? storeMaasImages(options.dataDir), now: () => new Date() };
  const logger = pino({ level: "error" }, pino.destination(2));
  const app = createEc2Server({ services: ec2Services, lookupSecret: credentials.lookup, logger });
  await app.register(maasApi, { prefix: MAAS_API_PATH, services, logger });
  const endpoint = await app.listen({ host: "127.0.0.1", port: 0 });
  const clients: EC2Client[] = [];
  const caller = (apiKey: string, header: () => string | undefined): MaasCaller => ({
    apiKey,
    async get(path, query = {}) {
      const q = form(query).toString();
      const headers: Record<string, string> = {};
      const h = header();
      if (h !== undefined) headers.authorization = h;
      return answer(await fetch(`${endpoint}${MAAS_API_PATH}/${path}${q ? `?${q}` : ""}`, { headers }));
    },
    async post(path, op, values = {}) {
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
      const h = header();
      if (h !== undefined) headers.authorization = h;
      return answer(await fetch(`${endpoint}${MAAS_API_PATH}/${path}?op=${op}`, { method: "POST", headers, body: form(values).toString() }));
    },
  });
  return {
    endpoint,
    services,
    ec2Services,
    keys,
    async maas(account = "default") {
      const key = await keys.create(account);
      return caller(key.apiKey, () => plaintextHeader(key.apiKey));
    },
    raw: (authorization) => caller("", () => authorization),
    async ec2(account = "default") {
      const credential = await credentials.create(account);
      const client = new EC2Client({ endpoint, region: topology.region, credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey }, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
    addMachines: (count, spec) => addReadyMachines(inventory, count, spec),
    async close() {
      for (const client of clients) client.destroy();
      await app.close();
      await db.close();
    },
  };
}

/** Every row the MAAS API and the inventory write, to prove a refused request changed nothing. */
export async function maasSnapshot(services: MaasServices): Promise<string> {
  const tables = ["machines", "machine_events", "instances", "maas_allocations", "maas_owner_data", "instance_metadata", "deployments", "power_requests"];
  const parts: string[] = [];
  for (const table of tables) parts.push(table, JSON.stringify(await services.db.all(`SELECT * FROM ${table} ORDER BY 1`)));
  return parts.join("\n");
}
