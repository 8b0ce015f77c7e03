import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load as parse } from "js-yaml";
import { getRelation, relation, type State } from "../../../lib/testing/index.ts";
import { charmHarness, configured, repoRoot } from "../charm-harness.ts";

describe.each(["3.1.8", "3.5.4", "3.6.0"])("relation-broken under Juju %s", (jujuVersion) => {
  it("the leader writes nothing to the relation being broken, and the hook succeeds", async () => {
    const h = charmHarness({ jujuVersion });
    try {
      const ec2 = relation({ endpoint: "ec2-api", remoteApp: "juju-client", remoteUnitsData: { 0: {} } });
      const metrics = relation({ endpoint: "metrics-endpoint", remoteApp: "prometheus", remoteUnitsData: { 0: {} } });
      const webdav = relation({ endpoint: "webdav-storage", remoteApp: "backup", remoteUnitsData: { 0: {} } });
      let s: State = configured({ leader: true, config: { components: "nginx" }, relations: [ec2, metrics, webdav] });
      s = (await h.ctx.run(h.ctx.on.relationJoined(ec2), s)).state;
      s = (await h.ctx.run(h.ctx.on.relationJoined(metrics), s)).state;
      for (const rel of [ec2, metrics, webdav]) {
        const out = await h.ctx.runUnchecked(h.ctx.on.relationBroken(rel), s);
        expect(out.exitCode, out.stderr).toBe(0);
        expect(out.toolCalls.filter((c) => c[0] === "relation-set" && c.includes(`${rel.endpoint}:${rel.id}`))).toEqual([]);
      }
      const broken = await h.ctx.run(h.ctx.on.relationBroken(ec2), s);
      expect(broken.state.secrets.filter((x) => x.label?.startsWith("ec2-credential-"))).toEqual([]);
      expect(getRelation(broken.state, metrics).localAppData.scrape_jobs).toBeDefined();
    } finally {
      h.cleanup();
    }
  });
});

describe("assumes", () => {
  it("asks for a Juju that deploys the base the charm is built for (ubuntu@24.04 needs 3.5)", () => {
    const metadata = parse(readFileSync(join(repoRoot, "metadata.yaml"), "utf8")) as { assumes: string[] };
    const charmcraft = parse(readFileSync(join(repoRoot, "charmcraft.yaml"), "utf8")) as { base: string };
    expect(charmcraft.base).toBe("ubuntu@24.04");
    expect(metadata.assumes).toContain("juju >= 3.5");
  });
});
