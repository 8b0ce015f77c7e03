/**
 * @module images/os-image-recipe
 * Everything that decides the OS image's content, in one record, and the cache key derived
 * from it: two builds with the same recipe give the same image (up to package updates on
 * the mirror), so the second can reuse the first's.
 */
import { createHash } from "node:crypto";
import { OrchestraError } from "../errors.ts";
import {
  OS_DATASOURCE_CONFIG_PATH,
  OS_KERNEL_CMDLINE,
  renderCloudDatasourceConfig,
  renderFstab,
  renderHosts,
  renderNetworkInterfaces,
} from "./os-image-config.ts";

/**
 * Bumped whenever the build procedure changes in a way the recipe does not show (a step
 * added, a tool's flags changed), so that cached images from the old procedure are not reused.
 */
export const OS_IMAGE_BUILDER_VERSION = 1;

/**
 * What debootstrap installs on top of minbase, and why each is there:
 * systemd-sysv and udev to boot; linux-image-amd64 (its initramfs-tools included) to have a
 * kernel whose initrd finds the root by label; cloud-init; ifupdown and isc-dhcp-client
 * because cloud-init 22.4 (bookworm) renders its fallback network config (DHCP on the first
 * NIC) for ifupdown when /etc/network/interfaces exists; iproute2 for ip(8), which
 * cloud-init's network code calls; cloud-guest-utils for growpart, e2fsprogs for resize2fs
 * (growpart and resizefs grow the root to the whole disk); netbase for /etc/protocols and
 * /etc/services. python3-cffi-backend is listed because debootstrap does not resolve virtual
 * packages, and python3-cryptography (cloud-init -> python3-oauthlib) depends on one it provides.
 * Managed nodes (docs/managed-nodes.md): rsyslog with rsyslog-gnutls to forward syslog over
 * mutual TLS, puppet-agent to enrol with the site's puppet server, openssh-server for the
 * site's SSH keys; in the image rather than installed by cloud-init, so a node is managed
 * from its first boot even before the apt proxy is reachable.
 */
export const OS_IMAGE_PACKAGES: readonly string[] = [
  "systemd-sysv",
  "udev",
  "linux-image-amd64",
  "cloud-init",
  "python3-cffi-backend",
  "ifupdown",
  "isc-dhcp-client",
  "iproute2",
  "cloud-guest-utils",
  "e2fsprogs",
  "netbase",
  "rsyslog",
  "rsyslog-gnutls",
  "puppet-agent",
  "openssh-server",
];

/**
 * The least memory a machine needs for the built image, in MiB: the least it is proved to
 * deploy and boot in (tests/e2e/lab-deploy deploys it to the lab's default 1 GiB VM through
 * the deploy ramdisk; tests/images/os-image-boot boots it with 1 GiB). Less is not tried, so
 * not promised: RunInstances and `machines deploy` never give the image a smaller machine.
 */
export const OS_IMAGE_MIN_MEMORY_MIB = 1024;

/** The hostname the image has until cloud-init sets the one its meta-data gives. */
export const OS_IMAGE_HOSTNAME = "debian";

/** The files the build writes into the root, by path relative to it. */
export function osImageFiles(hostname = OS_IMAGE_HOSTNAME): Record<string, string> {
  return {
    "etc/hostname": `${hostname}\n`,
    "etc/hosts": renderHosts(hostname),
    "etc/fstab": renderFstab(),
    "etc/network/interfaces": renderNetworkInterfaces(),
    "etc/default/locale": "LANG=C.UTF-8\n",
    [OS_DATASOURCE_CONFIG_PATH]: renderCloudDatasourceConfig(),
  };
}

/** The full description of an OS image build. */
export interface OsImageRecipe {
  readonly builderVersion: number;
  readonly suite: string;
  readonly mirror: string;
  readonly architecture: "amd64";
  readonly packages: readonly string[];
  readonly kernelCmdline: string;
  readonly files: Readonly<Record<string, string>>;
}

const SUITE = /^[a-z][a-z0-9-]{1,31}$/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

/** A recipe for `suite` from `mirror`, with extra packages added to the default list. */
export function osImageRecipe(suite: string, mirror: string, extraPackages: readonly string[] = []): OsImageRecipe {
  if (!SUITE.test(suite)) throw new OrchestraError("INVALID_ARGUMENT", `invalid Debian suite ${JSON.stringify(suite)}: a code name such as bookworm`, { suite });
  if (!/^(https?|file):\/\/\S+$/.test(mirror)) throw new OrchestraError("INVALID_ARGUMENT", `invalid Debian mirror ${JSON.stringify(mirror)}: an http(s):// or file:// URL`, { mirror });
  for (const name of extraPackages) {
    if (!PACKAGE.test(name)) throw new OrchestraError("INVALID_ARGUMENT", `invalid Debian package name ${JSON.stringify(name)}`, { package: name });
  }
  const packages = [...new Set([...OS_IMAGE_PACKAGES, ...extraPackages])].sort();
  return { builderVersion: OS_IMAGE_BUILDER_VERSION, suite, mirror, architecture: "amd64", packages, kernelCmdline: OS_KERNEL_CMDLINE, files: osImageFiles() };
}

/** The cache key of a recipe: SHA-256 of its canonical JSON (keys sorted; the package list is sorted when the recipe is made). */
export function osImageRecipeKey(recipe: OsImageRecipe): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
    return value;
  };
  return createHash("sha256").update(JSON.stringify(canonical(recipe))).digest("hex");
}

/** The image's name in the store: `debian-12-cloud` for bookworm. */
export function osImageName(suite: string): string {
  const versions: Record<string, string> = { bullseye: "11", bookworm: "12", trixie: "13" };
  return `debian-${versions[suite] ?? suite}-cloud`;
}
