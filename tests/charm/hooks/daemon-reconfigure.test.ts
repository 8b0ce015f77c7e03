import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { renderSquidConf } from "../../../charm/render/squid-conf.ts";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

describe("nginx and a new listen-address", () => {
  it("restarts (a reload cannot rebind) and checks the new address is bound", async () => {
    const s = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "nginx" } }))).state;
    h.clearCommands();
    const out = await h.ctx.run(h.ctx.on.configChanged(), { ...s, config: { ...s.config, "listen-address": "192.0.2.0" } });
    expect(h.commands().filter((c) => c[0] === "systemctl" && c[2] === "nginx").map((c) => c[1])).toContain("restart");
    expect(h.commands()).not.toContainEqual(["systemctl", "reload-or-restart", "nginx"]);
    expect(h.commands()).toContainEqual(["ss", "--listening", "--tcp", "--numeric", "--no-header"]);
    expect(out.state.unitStatus).toEqual({ status: "active", message: "" });
  });

  it("blocks when nginx says it started but nothing listens on the address", async () => {
    const s = (await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "nginx" } }))).state;
    h.override("ss", "exit 0");
    const out = await h.ctx.run(h.ctx.on.configChanged(), { ...s, config: { ...s.config, "listen-address": "192.0.2.0" } });
    expect(out.state.unitStatus).toEqual({ status: "blocked", message: "nginx: not listening on 192.0.2.0:80 after (re)start" });
  });
});

describe("squid", () => {
  it("stops without waiting out its 30 s shutdown_lifetime, in a config real squid accepts", async () => {
    const text = renderSquidConf({ aptProxyPort: 8000, provisioningSubnet: { network: "10.10.0.0", prefix: 24 }, listenAddress: "0.0.0.0", aptProxyClients: [] });
    expect(text).toContain("shutdown_lifetime 1 seconds\n");
    const dir = mkdtempSync(join(tmpdir(), "squid-parse-"));
    try {
      writeFileSync(join(dir, "squid.conf"), text);
      const check = await execa("squid", ["-k", "parse", "-f", join(dir, "squid.conf")], { reject: false });
      expect(check.exitCode, String(check.stderr)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
