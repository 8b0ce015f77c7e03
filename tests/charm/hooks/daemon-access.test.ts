/**
 * What each daemon that drops root may reach of what the charm wrote, checked as the real
 * users of this machine (setpriv): nginx's www-data, dnsmasq's dnsmasq and rsyslog's
 * PrivDropToUser (Ubuntu's `syslog`; here `nobody`, named the same way in rsyslog.conf).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => {
  h = charmHarness();
  // The test root lives in a 0700 temp dir; a unit's / is traversable by everyone.
  chmodSync(dirname(h.root), 0o755);
  mkdirSync(join(h.root, "etc"), { recursive: true });
  writeFileSync(join(h.root, "etc/rsyslog.conf"), "module(load=\"imuxsock\")\n$PrivDropToUser nobody\n$PrivDropToGroup nogroup\n$IncludeConfig /etc/rsyslog.d/*.conf\n");
});
afterEach(() => h.cleanup());

async function as(user: string, group: string, argv: string[]): Promise<boolean> {
  const result = await execa("setpriv", [`--reuid=${user}`, `--regid=${group}`, "--clear-groups", "--", ...argv], { reject: false });
  return result.exitCode === 0;
}

const canRead = (user: string, group: string, path: string) => as(user, group, ["cat", path]);
const canWriteIn = (user: string, group: string, dir: string) => as(user, group, ["touch", join(dir, "probe")]);

describe("daemons that drop root reach exactly what they serve", () => {
  it("nginx (www-data) reads images and writes WebDAV; dnsmasq reads the TFTP root and host files; rsyslog's user writes per-host logs", async () => {
    await h.ctx.run(h.ctx.on.install(), configured({ leader: true }));
    const p = (path: string) => join(h.root, path);
    writeFileSync(p("/var/lib/orchestra/images/vmlinuz"), "kernel");
    writeFileSync(p("/var/lib/orchestra/dnsmasq/hosts.d/52-54-00-12-34-56"), "52:54:00:12:34:56,node-1\n");

    expect(await canRead("www-data", "www-data", p("/var/lib/orchestra/images/vmlinuz"))).toBe(true);
    expect(await canWriteIn("www-data", "www-data", p("/var/lib/orchestra/webdav"))).toBe(true);
    expect(await canRead("dnsmasq", "nogroup", p("/var/lib/orchestra/tftp/undionly.kpxe"))).toBe(true);
    expect(await canRead("dnsmasq", "nogroup", p("/var/lib/orchestra/dnsmasq/hosts.d/52-54-00-12-34-56"))).toBe(true);
    expect(await canWriteIn("nobody", "nogroup", p("/var/log/orchestra/hosts"))).toBe(true);
    expect(await canRead("nobody", "nogroup", p("/var/lib/orchestra/tls/syslog.key"))).toBe(true);
  });

  it("keeps the secrets (sealing key, database, CA key, service environment) from every one of them", async () => {
    mkdirSync(join(h.root, "var/lib/orchestra"), { recursive: true });
    // A database the service made with a loose umask before this charm revision.
    writeFileSync(join(h.root, "var/lib/orchestra/orchestra.db"), "rows", { mode: 0o644 });
    await h.ctx.run(h.ctx.on.install(), configured({ leader: true }));
    const secrets = ["/var/lib/orchestra/credentials.key", "/var/lib/orchestra/orchestra.db", "/var/lib/orchestra/pki/ca.key", "/etc/orchestra/orchestra.env"];
    for (const secret of secrets) {
      expect(h.exists(secret), secret).toBe(true);
      for (const [user, group] of [["www-data", "www-data"], ["dnsmasq", "nogroup"], ["nobody", "nogroup"]] as const) {
        expect(await canRead(user, group, join(h.root, secret)), `${user} reads ${secret}`).toBe(false);
      }
    }
    // Nor may they list the data directory, or write what nginx only serves.
    expect(await as("www-data", "www-data", ["ls", join(h.root, "var/lib/orchestra")])).toBe(false);
    expect(await canWriteIn("www-data", "www-data", join(h.root, "var/lib/orchestra/images"))).toBe(false);
    expect(await canWriteIn("dnsmasq", "nogroup", join(h.root, "var/lib/orchestra/tftp"))).toBe(false);
  });
});
