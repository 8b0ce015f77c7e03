import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

const PROXY = {
  JUJU_CHARM_HTTP_PROXY: "http://198.51.100.8:3128",
  JUJU_CHARM_HTTPS_PROXY: "http://198.51.100.8:3129",
  JUJU_CHARM_NO_PROXY: "127.0.0.1,localhost,10.10.0.0/24",
};

let h: CharmHarness;
beforeEach(() => {
  h = charmHarness({ env: PROXY });
  // apt-get writes down the environment it was given (the orchestra stand-in always does).
  const dump = (name: string) => `env | grep -i -E '^(https?|no)_proxy=|^NODE_USE_ENV_PROXY=' | sort > "$S/${name}-env"`;
  h.override("apt-get", `${dump("apt-get")}\nfor a in "$@"; do case "$a" in install|update|-*|Acquire*|Dpkg*) ;; *) touch "$S/pkg-$a";; esac; done`);
});
afterEach(() => h.cleanup());

function envOf(name: string): string[] {
  return readFileSync(join(h.stateDir, `${name}-env`), "utf8").trim().split("\n");
}

describe("the model's proxy settings", () => {
  it("reach apt, the orchestra service and import-images", async () => {
    const out = await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "squid" } }));
    expect(out.state.unitStatus.status).toBe("active");
    expect(envOf("apt-get")).toEqual(expect.arrayContaining([
      "http_proxy=http://198.51.100.8:3128", "https_proxy=http://198.51.100.8:3129", "no_proxy=127.0.0.1,localhost,10.10.0.0/24",
    ]));
    const install = h.commands().find((c) => c[0] === "apt-get" && c.includes("install"))!;
    expect(install).toEqual(expect.arrayContaining(["Acquire::http::Proxy=http://198.51.100.8:3128", "Acquire::https::Proxy=http://198.51.100.8:3129"]));
    expect(h.read("/etc/orchestra/orchestra.env")).toContain('HTTPS_PROXY="http://198.51.100.8:3129"');
    expect(h.read("/etc/orchestra/orchestra.env")).toContain('NODE_USE_ENV_PROXY="1"');

    await h.ctx.run(h.ctx.on.action("import-images", { sources: "https://images.example/streams/v1/index.json" }), out.state);
    expect(envOf("orchestra")).toEqual(expect.arrayContaining([
      "HTTPS_PROXY=http://198.51.100.8:3129", "HTTP_PROXY=http://198.51.100.8:3128", "NO_PROXY=127.0.0.1,localhost,10.10.0.0/24", "NODE_USE_ENV_PROXY=1",
    ]));
  });
});
