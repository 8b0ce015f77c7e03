/**
 * The MAAS API's OAuth PLAINTEXT check: every fault is MAAS's 401 with a plain-text
 * "Authorization Error" and changes nothing; accounts see only unowned machines and their own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maasSnapshot, plaintextHeader, startMaasHarness, type MaasHarness } from "../helpers/maas-harness.ts";

let harness: MaasHarness;

beforeAll(async () => {
  harness = await startMaasHarness();
  await harness.addMachines(2);
});
afterAll(() => harness.close());

describe("MAAS API authentication", () => {
  it("answers version/ without a signature, as MAAS does, and nothing else", async () => {
    const version = await harness.raw(undefined).get("version/");
    expect(version.status).toBe(200);
    expect(version.json).toMatchObject({ version: "2.9.2", capabilities: expect.arrayContaining(["networks-management"]) });
    const whoami = await harness.raw(undefined).get("users/", { op: "whoami" });
    expect(whoami.status).toBe(401);
  });

  it("refuses a missing, malformed, wrong, unknown, revoked, stale or non-PLAINTEXT signature with 401, changing nothing", async () => {
    const good = await harness.maas("alice");
    const [consumer, token, secret] = good.apiKey.split(":");
    const revoked = await harness.keys.create("alice");
    await harness.keys.revoke(revoked.tokenKey);
    const headers: Record<string, string | undefined> = {
      missing: undefined,
      notOAuth: "Basic YWxpY2U6c2VjcmV0",
      garbled: 'OAuth oauth_token="unterminated',
      wrongSecret: plaintextHeader(`${consumer}:${token}:${"y".repeat(32)}`),
      wrongConsumer: plaintextHeader(`${"c".repeat(18)}:${token}:${secret}`),
      unknownToken: plaintextHeader(`${consumer}:${"t".repeat(18)}:${secret}`),
      revoked: plaintextHeader(revoked.apiKey),
      stale: plaintextHeader(good.apiKey, Math.floor(Date.now() / 1000) - 3600),
      hmac: plaintextHeader(good.apiKey).replace("PLAINTEXT", "HMAC-SHA1"),
    };
    const before = await maasSnapshot(harness.services);
    for (const [name, header] of Object.entries(headers)) {
      const refused = await harness.raw(header).post("machines/", "allocate", { agent_name: "x" });
      expect([name, refused.status]).toEqual([name, 401]);
      expect(refused.contentType).toMatch(/^text\/plain/);
      expect(refused.text).toMatch(/^Authorization Error: /);
    }
    expect(await maasSnapshot(harness.services)).toBe(before);
    // The good key still works: the refusals were about the signatures, not the key.
    expect((await good.get("users/", { op: "whoami" })).json).toMatchObject({ username: "alice", is_superuser: false });
  });

  it("keeps accounts apart: another account's machine does not exist for the caller", async () => {
    const alice = await harness.maas("alice");
    const bob = await harness.maas("bob");
    const allocated = await alice.post("machines/", "allocate");
    expect(allocated.status).toBe(200);
    const systemId = allocated.json.system_id as string;
    expect(allocated.json).toMatchObject({ owner: "alice", status_name: "Allocated" });
    const bobsView = (await bob.get("machines/")).json as { system_id: string }[];
    expect(bobsView.map((m) => m.system_id)).not.toContain(systemId);
    const before = await maasSnapshot(harness.services);
    for (const [op, form] of [["deploy", {}], ["release", {}], ["set_owner_data", { k: "v" }], ["power_off", {}]] as const) {
      const refused = await bob.post(`machines/${systemId}/`, op, form);
      expect([op, refused.status, refused.text]).toEqual([op, 404, "No Machine matches the given query."]);
    }
    expect((await bob.get(`machines/${systemId}/`)).status).toBe(404);
    const bulk = await bob.post("machines/", "release", { machines: systemId });
    expect(bulk.status).toBe(400);
    expect(await maasSnapshot(harness.services)).toBe(before);
    expect((await alice.get(`machines/${systemId}/`)).json).toMatchObject({ owner: "alice" });
  });
});
