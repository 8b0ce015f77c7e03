/**
 * @module images/os-image-config
 * The files that make a debootstrapped tree a deployable Debian: pure renderers (state in,
 * text out) and the names the deploy step relies on. The deploy step imports
 * `renderNoCloudSeedConfig` and `OS_SEED_CONFIG_PATH` from here, so that the file it drops
 * into a deployed root is the one this image was built and tested to read.
 */

/** The root file system's label: the kernel command line and fstab find the root by it. */
export const OS_ROOT_LABEL = "orchestra-root";

/** The boot (FAT) file system's label; FAT labels are at most 11 characters. */
export const OS_BOOT_LABEL = "ORCH-BOOT";

/**
 * The kernel command line. ttyS0 comes last so that it is /dev/console: systemd's status,
 * cloud-init's output and user-data scripts writing to stdout then reach the serial log.
 */
export const OS_KERNEL_CMDLINE = `root=LABEL=${OS_ROOT_LABEL} ro console=tty0 console=ttyS0,115200`;

/** Where the image's own cloud-init settings live, relative to the root. */
export const OS_DATASOURCE_CONFIG_PATH = "etc/cloud/cloud.cfg.d/95-orchestra-datasource.cfg";

/**
 * Where the deploy step writes the NoCloud seed URL, relative to the root. cloud-init reads
 * cloud.cfg.d in lexical order and later files win, so this sorts after Debian's own
 * 90_dpkg.cfg and after the image's 95-orchestra-datasource.cfg.
 */
export const OS_SEED_CONFIG_PATH = "etc/cloud/cloud.cfg.d/99-orchestra.cfg";

/** What syslinux loads: file names on the boot partition and the command line. */
export interface SyslinuxEntry {
  kernel: string;
  initrd: string;
  append: string;
}

/** syslinux.cfg that boots one entry at once, with its own menu-less prompt on the serial port too. */
export function renderSyslinuxCfg(entry: SyslinuxEntry): string {
  for (const name of [entry.kernel, entry.initrd]) {
    // syslinux splits its directives on white space and reads FAT 8.3/long names only.
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new RangeError(`syslinux cannot load ${JSON.stringify(name)}: use letters, digits, '.', '_', '-'`);
  }
  if (/[\r\n]/.test(entry.append)) throw new RangeError("a kernel command line is one line");
  // SERIAL must be the first directive for syslinux to honour it.
  return [
    "SERIAL 0 115200",
    "DEFAULT orchestra",
    "PROMPT 0",
    "TIMEOUT 0",
    "",
    "LABEL orchestra",
    `  LINUX /${entry.kernel}`,
    `  INITRD /${entry.initrd}`,
    `  APPEND ${entry.append}`,
    "",
  ].join("\n");
}

/**
 * The image's cloud-init settings. Only NoCloud (and None after it): without a seed the
 * machine boots at once instead of probing EC2's and others' metadata addresses for
 * minutes. C.UTF-8 is built into glibc, so cloud-init's locale module has nothing to
 * generate; the image has no GRUB, so grub-dpkg has nothing to record.
 */
export function renderCloudDatasourceConfig(): string {
  return [
    "# Written by orchestra images build-os. The deploy step adds 99-orchestra.cfg with the seed URL.",
    "datasource_list: [ NoCloud, None ]",
    "locale: C.UTF-8",
    "grub_dpkg:",
    "  enabled: false",
    "",
  ].join("\n");
}

/**
 * The file the deploy step writes at OS_SEED_CONFIG_PATH: NoCloud's network seed. cloud-init
 * fetches `<seedUrl>meta-data` and `<seedUrl>user-data` (and vendor-data) once the first
 * NIC has a DHCP lease, so the URL must end with a slash.
 */
export function renderNoCloudSeedConfig(seedUrl: string, options: { phoneHomeUrl?: string } = {}): string {
  let url: URL;
  try {
    url = new URL(seedUrl);
  } catch {
    throw new RangeError(`not a URL: ${JSON.stringify(seedUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new RangeError(`NoCloud fetches a seed over http or https only, not ${url.protocol}`);
  if (!url.pathname.endsWith("/") || url.search || url.hash) throw new RangeError(`a NoCloud seed URL is a directory ending in '/', with no query: ${seedUrl}`);
  // A JSON string is a valid YAML scalar, so the URL needs no YAML quoting rules of its own.
  const seed = `# Written by Orchestra's deploy step.\ndatasource:\n  NoCloud:\n    seedfrom: ${JSON.stringify(url.href)}\n`;
  if (options.phoneHomeUrl === undefined) return seed;
  const home = new URL(options.phoneHomeUrl);
  if (home.protocol !== "http:" && home.protocol !== "https:") throw new RangeError(`phone_home posts over http or https only, not ${home.protocol}`);
  // cloud-init's phone_home (a final-stage module) posts once the system is up: Orchestra's sign that the deployment booted.
  return `${seed}phone_home:\n  url: ${JSON.stringify(home.href)}\n  post: [ instance_id, hostname ]\n  tries: 20\n`;
}

/** /etc/fstab: the root by label, so that the disk's name on the real machine does not matter. */
export function renderFstab(): string {
  return `# <file system>\t<mount point>\t<type>\t<options>\t<dump>\t<pass>\nLABEL=${OS_ROOT_LABEL}\t/\text4\tdefaults,errors=remount-ro\t0\t1\n`;
}

/** /etc/hosts for `hostname`; cloud-init's set_hostname renames the machine at first boot. */
export function renderHosts(hostname: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(hostname)) throw new RangeError(`invalid hostname ${JSON.stringify(hostname)}`);
  return `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`;
}

/**
 * /etc/network/interfaces: loopback, and the directory where cloud-init's ifupdown ("eni")
 * renderer writes the first NIC's DHCP stanza (50-cloud-init). cloud-init picks that
 * renderer only when this file exists.
 */
export function renderNetworkInterfaces(): string {
  return "# The first NIC's configuration is cloud-init's, in interfaces.d/50-cloud-init.\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n";
}
