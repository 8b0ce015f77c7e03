import { describe, expect, it } from "vitest";
import { type DeployPlan, renderDeployPlan } from "../../lib/deploy/deploy-plan.ts";

const plan: DeployPlan = {
  systemId: "ab12cd",
  imageId: "ami-0123456789abcdef0",
  imageUrl: "http://192.0.2.1:5248/images/ami-0123456789abcdef0/root",
  imageFormat: "gz",
  imageSha256: "0".repeat(64),
  imageBytes: 1000,
  disk: "vda",
  progressUrl: "http://192.0.2.1:5248/deploy/T/progress",
  reportUrl: "http://192.0.2.1:5248/deploy/T/report",
  bootedUrl: "http://192.0.2.1:5248/deploy/T/booted",
};

describe("the deploy plan's fan-out keys", () => {
  it("are empty without fan-out, and the version stays 1 (an older ramdisk skips keys it does not know)", () => {
    const text = renderDeployPlan(plan);
    expect(text.startsWith("ORCHESTRA_DEPLOY_PLAN=1\n")).toBe(true);
    expect(text).toContain("\nTORRENT_URL=\nFANOUT_SEED_SECONDS=\nFANOUT_STALL_SECONDS=\n");
  });

  it("carry the torrent URL and the two times with fan-out", () => {
    const text = renderDeployPlan({ ...plan, fanout: { torrentUrl: "http://192.0.2.1:5248/deploy/T/image.torrent", seedSeconds: 120, stallSeconds: 30 } });
    expect(text).toContain("\nTORRENT_URL=http://192.0.2.1:5248/deploy/T/image.torrent\nFANOUT_SEED_SECONDS=120\nFANOUT_STALL_SECONDS=30\n");
  });

  it("refuses a torrent URL a shell would read as more than a value, and times that are not whole seconds", () => {
    expect(() => renderDeployPlan({ ...plan, fanout: { torrentUrl: "http://x/$(reboot)", seedSeconds: 1, stallSeconds: 1 } })).toThrow(/refusing to put TORRENT_URL/);
    expect(() => renderDeployPlan({ ...plan, fanout: { torrentUrl: "http://x/t", seedSeconds: 1.5, stallSeconds: 1 } })).toThrow(/FANOUT_SEED_SECONDS/);
    expect(() => renderDeployPlan({ ...plan, fanout: { torrentUrl: "http://x/t", seedSeconds: 1, stallSeconds: -1 } })).toThrow(/FANOUT_STALL_SECONDS/);
  });
});

describe("the deploy plan's seed file", () => {
  const seedConfig = '# Written by Orchestra\'s deploy step.\ndatasource:\n  NoCloud:\n    seedfrom: "http://192.0.2.1:5248/nocloud/S/"\n';

  it("comes last, after SEED_CONFIG_LINES with its line count, so the ramdisk takes it with tail", () => {
    const text = renderDeployPlan({ ...plan, seedConfigUrl: "http://192.0.2.1:5248/deploy/T/seed", seedConfig });
    expect(text.endsWith(`\nSEED_CONFIG_LINES=4\n${seedConfig}`)).toBe(true);
    expect(text).toContain("\nSEED_CONFIG_URL=http://192.0.2.1:5248/deploy/T/seed\n");
  });

  it("is absent without one, and then the plan has no SEED_CONFIG_LINES", () => {
    expect(renderDeployPlan(plan)).not.toContain("SEED_CONFIG_LINES");
  });

  it("is refused when it does not end a line or one of its lines reads as a plan key", () => {
    expect(() => renderDeployPlan({ ...plan, seedConfig: "datasource:" })).toThrow(/whole lines/);
    expect(() => renderDeployPlan({ ...plan, seedConfig: "" })).toThrow(/whole lines/);
    expect(() => renderDeployPlan({ ...plan, seedConfig: "datasource:\nIMAGE_URL=http://evil/\n" })).toThrow(/reads as a plan key/);
  });

  it("reads, in a ramdisk that predates it, as lines it skips: every key keeps its value", async () => {
    // The plan loop of ramdisks built before SEED_CONFIG_LINES, run by busybox's shell.
    const loop = `while IFS='=' read -r key value; do case "$key" in IMAGE_URL) IMAGE_URL=$value ;; SEED_CONFIG_URL) SEED_CONFIG_URL=$value ;; BOOTED_URL) BOOTED_URL=$value ;; esac; done; echo "$IMAGE_URL|$SEED_CONFIG_URL|$BOOTED_URL"`;
    const { execa } = await import("execa");
    const { stdout } = await execa("busybox", ["sh", "-c", loop], { input: renderDeployPlan({ ...plan, seedConfigUrl: "http://192.0.2.1:5248/deploy/T/seed", seedConfig }) });
    expect(stdout).toBe(`${plan.imageUrl}|http://192.0.2.1:5248/deploy/T/seed|${plan.bootedUrl}`);
  });
});
