import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isOrchestraError } from "../../lib/errors.ts";
import type { Inventory } from "../../lib/inventory/inventory.ts";
import { newNocloudSecret } from "../../lib/metadata/nocloud-secret.ts";
import { accountNumber } from "../../lib/inventory/account-number.ts";
import { MAX_USER_DATA_BYTES, StoreMetadataSource, type MetadataInput } from "../../lib/metadata/store-metadata-source.ts";
import { addReadyMachines, memoryInventory } from "../helpers/inventory.ts";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhN0pQ7kV3u0m8Yz1aX9sLq2cW4eR6tY8uI0oP2aS4d alice@laptop";

describe("the store-backed metadata source", () => {
  let inventory: Inventory;
  let source: StoreMetadataSource;
  let instanceId: string;
  let systemId: string;
  const count = async () => (await inventory.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM instance_metadata"))!.n;

  beforeEach(async () => {
    inventory = await memoryInventory();
    await addReadyMachines(inventory, 2);
    const allocation = await inventory.allocate({}, "acct-a");
    instanceId = allocation.instance.instanceId;
    systemId = allocation.machine.systemId;
    source = new StoreMetadataSource(inventory.db);
  });
  afterEach(async () => {
    await inventory.db.close();
  });

  const valid = (): MetadataInput => ({ instanceId, localIpv4: "10.0.0.5", hostname: "node-a", availabilityZone: "rack-1", publicKeys: [{ name: "alice", openssh: KEY }], userData: new Uint8Array([0, 1, 2, 255]), nocloudSecret: newNocloudSecret() });

  it("round-trips an instance's metadata, user-data bytes included, and joins what the inventory knows", async () => {
    const stored = await source.put(valid());
    const found = await source.findByAddress("10.0.0.5");
    expect(found).toEqual(stored);
    // The identity document's accountId: the account's 12-digit number, never its name.
    expect(found).toMatchObject({ instanceId, machineId: systemId, accountId: accountNumber("acct-a"), architecture: "amd64", region: "orchestra", mac: null });
    expect(found!.accountId).toMatch(/^\d{12}$/);
    expect(Buffer.from(found!.userData!).equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
    expect(await source.findByNocloudSecret(stored.nocloudSecret!)).toEqual(stored);
  });

  it("replaces an instance's metadata on a second put", async () => {
    await source.put(valid());
    await source.put({ ...valid(), hostname: "node-a2", localIpv4: "10.0.0.6" });
    expect(await source.findByAddress("10.0.0.5")).toBeUndefined();
    expect((await source.findByAddress("10.0.0.6"))?.hostname).toBe("node-a2");
    expect(await count()).toBe(1);
  });

  it("refuses bad input with a clear error and writes nothing", async () => {
    const cases: [Partial<MetadataInput>, RegExp][] = [
      [{ instanceId: "i-123" }, /instance id/],
      [{ localIpv4: "10.0.0.256" }, /IPv4/],
      [{ localIpv4: "::1" }, /IPv4/],
      [{ hostname: "bad_host name" }, /host name/],
      [{ availabilityZone: "" }, /availability zone/],
      [{ amiId: "image-1" }, /image id/],
      [{ publicKeys: [{ name: "alice", openssh: `${KEY}\nssh-ed25519 AAAAforged mallory` }] }, /OpenSSH/],
      [{ publicKeys: [{ name: "a b", openssh: KEY }] }, /public key name/],
      [{ userData: new Uint8Array(MAX_USER_DATA_BYTES + 1) }, /limit is 16384/],
      [{ nocloudSecret: "short" }, /NoCloud secret/],
      [{ nocloudSecret: "x".repeat(97) }, /NoCloud secret/],
    ];
    for (const [change, message] of cases) {
      const error = await source.put({ ...valid(), ...change }).catch((e: unknown) => e);
      expect(isOrchestraError(error, "INVALID_ARGUMENT"), message.source).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    expect(isOrchestraError(await source.put({ ...valid(), mac: "52:54:00:zz:00:01" }).catch((e: unknown) => e), "INVALID_MAC")).toBe(true);
    expect(await count()).toBe(0);
  });

  it("refuses an instance that is not open", async () => {
    const error = await source.put({ ...valid(), instanceId: "i-0123456789abcdef0" }).catch((e: unknown) => e);
    expect(isOrchestraError(error, "INSTANCE_NOT_FOUND")).toBe(true);
  });

  it("gives an address to one open instance at a time, and frees it when the instance ends", async () => {
    await source.put(valid());
    const other = await inventory.allocate({}, "acct-b");
    const clash = await source.put({ ...valid(), instanceId: other.instance.instanceId, nocloudSecret: newNocloudSecret() }).catch((e: unknown) => e);
    expect(isOrchestraError(clash, "METADATA_ADDRESS_IN_USE")).toBe(true);
    await inventory.release(systemId);
    expect(await source.findByAddress("10.0.0.5")).toBeUndefined();
    await source.put({ ...valid(), instanceId: other.instance.instanceId, nocloudSecret: newNocloudSecret() });
    expect((await source.findByAddress("10.0.0.5"))?.instanceId).toBe(other.instance.instanceId);
  });

  it("answers malformed lookups with nothing, and forgets on remove", async () => {
    const stored = await source.put(valid());
    expect(await source.findByAddress("10.0.0.5' OR 1=1 --")).toBeUndefined();
    expect(await source.findByNocloudSecret("../../etc")).toBeUndefined();
    expect(await source.remove(instanceId)).toBe(true);
    expect(await source.findByNocloudSecret(stored.nocloudSecret!)).toBeUndefined();
    expect(await source.remove(instanceId)).toBe(false);
  });
});
