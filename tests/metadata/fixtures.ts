/**
 * A metadata service on 127.0.0.1 over a real store, with two running instances whose nodes
 * are at 127.0.0.2 and 127.0.0.3 (all of 127/8 is local, so a test client can speak from
 * either address: the service sees a real TCP source address, as it would on the wire).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { request } from "node:http";
import { metadataService, type MetadataServiceOptions } from "../../lib/metadata/metadata-service.ts";
import type { InstanceMetadata } from "../../lib/metadata/metadata-source.ts";
import { newNocloudSecret } from "../../lib/metadata/nocloud-secret.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { addReadyMachines, memoryInventory } from "../helpers/inventory.ts";

/** The user-data of node A: a script with bytes that are not UTF-8, to prove exactness. */
export const USER_DATA_A = Buffer.concat([Buffer.from("#!/bin/sh\necho 'node A ran' > /tmp/proof\n"), Buffer.from([0x00, 0xff, 0xfe, 0x0a])]);
export const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhN0pQ7kV3u0m8Yz1aX9sLq2cW4eR6tY8uI0oP2aS4d alice@laptop";
export const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbBbB bob@laptop";

/** A running service and what it serves. */
export interface MetadataFixture {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly port: number;
  readonly inventory: Inventory;
  readonly source: StoreMetadataSource;
  readonly a: InstanceMetadata;
  readonly b: InstanceMetadata;
  /** An HTTP request from `from` (a 127/8 address). */
  fetch(from: string, path: string, init?: { method?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>;
  close(): Promise<void>;
}

/** Start the service with two instances: A at 127.0.0.2, B at 127.0.0.3. */
export async function startMetadataFixture(options: Omit<MetadataServiceOptions, "source"> = {}): Promise<MetadataFixture> {
  const inventory = await memoryInventory();
  await addReadyMachines(inventory, 2);
  const first = await inventory.allocate({}, "acct-a");
  const second = await inventory.allocate({}, "acct-b");
  const source = new StoreMetadataSource(inventory.db);
  const a = await source.put({
    instanceId: first.instance.instanceId,
    localIpv4: "127.0.0.2",
    hostname: "node-a",
    mac: "52:54:00:aa:00:01",
    amiId: "ami-0123456789abcdef0",
    instanceType: "m5.large",
    availabilityZone: "rack-1",
    region: "orchestra-1",
    publicKeys: [{ name: "alice", openssh: KEY_A }],
    userData: USER_DATA_A,
    vendorData: "#cloud-config\napt:\n  proxy: http://127.0.0.1:8000\n",
    nocloudSecret: newNocloudSecret(),
  });
  const b = await source.put({
    instanceId: second.instance.instanceId,
    localIpv4: "127.0.0.3",
    hostname: "node-b",
    availabilityZone: "rack-2",
    publicKeys: [{ name: "bob", openssh: KEY_B }],
    nocloudSecret: newNocloudSecret(),
  });
  const app = Fastify({ logger: false });
  await app.register(metadataService, { ...options, source });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    port,
    inventory,
    source,
    a,
    b,
    fetch(from, path, init = {}) {
      // node:http binds the client socket to `from`, so the server sees that source address.
      return new Promise((resolve, reject) => {
        const outgoing = request({ host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers ?? {}, localAddress: from, agent: false }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on("error", reject);
        });
        outgoing.on("error", reject);
        outgoing.end();
      });
    },
    async close() {
      await app.close();
      await inventory.db.close();
    },
  };
}
