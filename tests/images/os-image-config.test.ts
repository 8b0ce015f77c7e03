import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { load } from "js-yaml";
import {
  OS_DATASOURCE_CONFIG_PATH,
  OS_KERNEL_CMDLINE,
  OS_SEED_CONFIG_PATH,
  renderCloudDatasourceConfig,
  renderFstab,
  renderHosts,
  renderNetworkInterfaces,
  renderNoCloudSeedConfig,
  renderSyslinuxCfg,
} from "../../lib/images/os-image-config.ts";

describe("syslinux.cfg", () => {
  it("boots the one entry at once, with SERIAL as its first directive", () => {
    const text = renderSyslinuxCfg({ kernel: "vmlinuz", initrd: "initrd.img", append: OS_KERNEL_CMDLINE });
    expect(text.split("\n")[0]).toBe("SERIAL 0 115200");
    expect(text).toContain("\nTIMEOUT 0\n");
    expect(text).toContain("\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND root=LABEL=orchestra-root ro console=tty0 console=ttyS0,115200\n");
  });

  it("refuses names syslinux would split and multi-line command lines", () => {
    expect(() => renderSyslinuxCfg({ kernel: "vm linuz", initrd: "i", append: "" })).toThrow(RangeError);
    expect(() => renderSyslinuxCfg({ kernel: "k", initrd: "i", append: "a\nLABEL evil" })).toThrow(RangeError);
  });
});

describe("the kernel command line", () => {
  it("finds the root by label and puts the console on ttyS0 last", () => {
    expect(OS_KERNEL_CMDLINE).toMatch(/^root=LABEL=orchestra-root ro /);
    expect(OS_KERNEL_CMDLINE.split(" ").filter((a) => a.startsWith("console=")).at(-1)).toBe("console=ttyS0,115200");
  });
});

describe("cloud-init configuration", () => {
  it("lists NoCloud and None only", () => {
    expect(load(renderCloudDatasourceConfig())).toMatchObject({ datasource_list: ["NoCloud", "None"], locale: "C.UTF-8" });
  });

  it("puts the deploy step's seed file after Debian's 90_dpkg.cfg and the image's own file, so its settings win", () => {
    const names = ["05_logging.cfg", "90_dpkg.cfg", OS_DATASOURCE_CONFIG_PATH.split("/").at(-1)!, OS_SEED_CONFIG_PATH.split("/").at(-1)!];
    // cloud-init reads cloud.cfg.d with Python's sorted(glob(...)): code point order, which this is.
    expect([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(names);
    expect(OS_SEED_CONFIG_PATH).toBe("etc/cloud/cloud.cfg.d/99-orchestra.cfg");
  });

  it("renders the NoCloud seed URL as YAML cloud-init reads", () => {
    const text = renderNoCloudSeedConfig("http://192.0.2.1:5248/nocloud/s3cr3t/");
    expect(load(text)).toEqual({ datasource: { NoCloud: { seedfrom: "http://192.0.2.1:5248/nocloud/s3cr3t/" } } });
  });

  it("adds cloud-init's phone_home when the deployment wants to hear the system booted", () => {
    const text = renderNoCloudSeedConfig("http://192.0.2.1:5248/nocloud/s3cr3t/", { phoneHomeUrl: "http://192.0.2.1:5248/deploy/t0k3n/booted" });
    expect(load(text)).toEqual({
      datasource: { NoCloud: { seedfrom: "http://192.0.2.1:5248/nocloud/s3cr3t/" } },
      phone_home: { url: "http://192.0.2.1:5248/deploy/t0k3n/booted", post: ["instance_id", "hostname"], tries: 20 },
    });
    expect(() => renderNoCloudSeedConfig("http://192.0.2.1/x/", { phoneHomeUrl: "file:///etc/passwd" })).toThrow(/http or https/);
  });

  it("refuses a seed URL NoCloud could not use", () => {
    expect(() => renderNoCloudSeedConfig("http://192.0.2.1/nocloud/x")).toThrow(/ending in '\/'/);
    expect(() => renderNoCloudSeedConfig("ftp://192.0.2.1/x/")).toThrow(/http or https/);
    expect(() => renderNoCloudSeedConfig("http://192.0.2.1/x/?a=1")).toThrow(RangeError);
    expect(() => renderNoCloudSeedConfig("not a url")).toThrow(RangeError);
  });

  it("is read the same way by PyYAML, cloud-init's loader (python3-yaml comes with cloud-init)", async () => {
    const python = await execa("python3", ["-c", "import sys, yaml; print(yaml.safe_load(sys.stdin.read())['datasource']['NoCloud']['seedfrom'])"], { input: renderNoCloudSeedConfig("http://192.0.2.1/a b/") });
    expect(python.stdout).toBe("http://192.0.2.1/a%20b/");
  });
});

describe("system files", () => {
  it("mounts the root by label", () => {
    expect(renderFstab()).toContain("\nLABEL=orchestra-root\t/\text4\tdefaults,errors=remount-ro\t0\t1\n");
  });

  it("names the host in /etc/hosts and refuses an invalid hostname", () => {
    expect(renderHosts("debian")).toContain("127.0.1.1\tdebian\n");
    expect(() => renderHosts("bad_name")).toThrow(RangeError);
  });

  it("lets cloud-init's ifupdown stanza in through interfaces.d", () => {
    expect(renderNetworkInterfaces()).toContain("source /etc/network/interfaces.d/*\n");
    expect(renderNetworkInterfaces()).toContain("iface lo inet loopback\n");
  });
});
