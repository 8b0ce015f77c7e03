/** The blocked status names the cause (the daemon's or apt's own line), not a command's first words. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { charmHarness, configured, type CharmHarness } from "../charm-harness.ts";

let h: CharmHarness;
beforeEach(() => { h = charmHarness(); });
afterEach(() => h.cleanup());

describe("a daemon that will not start", () => {
  it("blocks with its own error line from the journal", async () => {
    // What systemctl and journald print on a unit whose dnsmasq cannot open its TFTP root.
    h.override("systemctl", `
case "$*" in
  "enable --now dnsmasq")
    echo "Synchronizing state of dnsmasq.service with SysV service script with /lib/systemd/systemd-sysv-install." >&2
    echo "Executing: /lib/systemd/systemd-sysv-install enable dnsmasq" >&2
    echo "Job for dnsmasq.service failed because the control process exited with error code." >&2
    echo 'See "systemctl status dnsmasq.service" and "journalctl -xeu dnsmasq.service" for details.' >&2
    exit 1;;
  "is-active --quiet dnsmasq") exit 3;;
esac
exec "$(dirname "$0")/../sysbin/systemctl" "$@"`);
    h.override("journalctl", `
test "$2" = dnsmasq || exit 0
echo "Starting dnsmasq.service - dnsmasq - A lightweight DHCP and caching DNS server..."
echo "dnsmasq: TFTP directory /var/lib/orchestra/tftp inaccessible: Permission denied"
echo "FAILED to start up"
echo "dnsmasq.service: Control process exited, code=exited, status=1/FAILURE"
echo "Failed to start dnsmasq.service - dnsmasq - A lightweight DHCP and caching DNS server."`);
    const out = await h.ctx.run(h.ctx.on.install(), configured({ leader: true, config: { components: "dnsmasq" } }));
    expect(out.state.unitStatus).toEqual({
      status: "blocked",
      message: "dnsmasq: failed to start: dnsmasq: TFTP directory /var/lib/orchestra/tftp inaccessible: Permission denied",
    });
  });
});

describe("a package that will not install", () => {
  it("leaves the unit blocked with apt's reason, never active, hook after hook", async () => {
    h.override("apt-get", `
if [ "$1" = install ]; then
  echo "Err:1 http://deb.debian.org/debian bookworm/main amd64 dnsmasq all 2.89-1" >&2
  echo "  404  Not Found [IP: 192.0.2.80 80]" >&2
  echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/d/dnsmasq/dnsmasq_2.89-1_all.deb  404  Not Found [IP: 192.0.2.80 80]" >&2
  echo "E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?" >&2
  exit 100
fi`);
    let s = configured({ leader: true, config: { components: "dnsmasq" } });
    for (const event of [h.ctx.on.install(), h.ctx.on.configChanged(), h.ctx.on.start(), h.ctx.on.updateStatus()]) {
      const out = await h.ctx.run(event, s);
      s = out.state;
      expect(out.state.unitStatus.status).toBe("blocked");
      expect(out.state.unitStatus.message).toBe("dnsmasq: apt-get install failed: E: Failed to fetch http://deb.debian.org/debian/pool/main/d/dnsmasq/dnsmasq_2.89-1_all.deb  404  Not Found [IP: 192.0.2.80 80]");
    }
  });
});
