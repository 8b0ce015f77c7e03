import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRelation, relation } from "../../../lib/testing/index.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

describe("secret values never go on a command line", () => {
  it("the EC2 credential secret is created from a file, so ps shows no secret key", async () => {
    const rel = relation({ endpoint: "ec2-api", remoteApp: "juju-client", remoteUnitsData: { 0: {} } });
    const out = await h.ctx.run(h.ctx.on.relationJoined(rel), configured({ leader: true, config: { components: "" }, relations: [rel] }));
    const secretId = getRelation(out.state, rel).localAppData["credential-secret-id"]!;
    const secret = out.state.secrets.find((s) => s.id === secretId)!;
    expect(secret.contents["secret-access-key"]).toBe("secret-1");
    const adds = out.toolCalls.filter((c) => c[0] === "secret-add");
    // The EC2 credential, the application's sealing key and its site CA: no value on argv.
    expect(adds.map((c) => c[c.indexOf("--label") + 1]).sort()).toEqual(["ec2-credential-1", "ec2-sealing-key", "site-ca"]);
    const sealingKey = out.state.secrets.find((s) => s.label === "ec2-sealing-key")!.contents.key!;
    const caKeyLine = out.state.secrets.find((s) => s.label === "site-ca")!.contents.key!.split("\n")[1]!;
    for (const add of adds) {
      expect(add.join(" ")).not.toContain("secret-1");
      expect(add.join(" ")).not.toContain(sealingKey);
      expect(add.join(" ")).not.toContain(caKeyLine);
      expect(add).toContain("--file");
    }
  });
});
