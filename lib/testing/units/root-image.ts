/**
 * @module testing/units/root-image
 * The root file system every unit boots from: a debootstrapped Debian bookworm (minbase plus
 * systemd as PID 1), adjusted where Ubuntu 24.04 behaves differently in a way a charm can
 * trip over (see docs/charm.md). Built once per set of inputs under the units cache, behind a
 * build lock, and never written to again: units boot throwaway overlays of it.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { withBuildLock } from "./build-lock.ts";
import { cacheKey, UNITS_CACHE_DIR } from "./cache-key.ts";

/** The address units reach the harness's apt repository on (the bridge's own address). */
export const REPOSITORY_URL = "http://198.51.100.1:8080/";

/** What goes into a root; any change makes a new one. */
export interface RootInputs {
  suite: string;
  mirror: string;
  variant: string;
  include: readonly string[];
  /** Bumped whenever customiseRoot() changes what it writes. */
  recipe: number;
}

export const DEFAULT_ROOT_INPUTS: RootInputs = {
  suite: "bookworm",
  mirror: process.env.ORCHESTRA_DEBIAN_MIRROR ?? "http://deb.debian.org/debian",
  variant: "minbase",
  // procps: squid's reload calls /bin/kill; iproute2: the charm and the tests look at links.
  // rsyslog: Ubuntu 24.04 machines come with it (customiseRoot makes it Ubuntu's).
  include: ["systemd", "systemd-sysv", "dbus", "procps", "iproute2", "ca-certificates", "rsyslog"],
  recipe: 3,
};

/** A built root and what building it cost (0 when it came from the cache). */
export interface RootImage {
  path: string;
  key: string;
  buildSeconds: number;
}

// Ubuntu 24.04's /etc/rsyslog.conf: rsyslogd drops to the `syslog` user and group after start.
// (Debian's runs as root and keeps its rules in rsyslog.conf itself.) imklog is off: a
// container has no kernel log to read.
const UBUNTU_RSYSLOG_CONF = `# /etc/rsyslog.conf as Ubuntu 24.04 ships it (reproduced by the orchestra unit harness).
# Default logging rules can be found in /etc/rsyslog.d/50-default.conf

module(load="imuxsock") # provides support for local system logging
#module(load="imklog" permitnonkernelfacility="on")  # no kernel log inside a container

$RepeatedMsgReduction on

$FileOwner syslog
$FileGroup adm
$FileCreateMode 0640
$DirCreateMode 0755
$Umask 0022
$PrivDropToUser syslog
$PrivDropToGroup syslog

$WorkDirectory /var/spool/rsyslog

$IncludeConfig /etc/rsyslog.d/*.conf
`;

// Ubuntu's /etc/rsyslog.d/50-default.conf (the rules Debian keeps in rsyslog.conf).
const UBUNTU_RSYSLOG_DEFAULT_RULES = `auth,authpriv.*\t\t\t/var/log/auth.log
*.*;auth,authpriv.none\t\t-/var/log/syslog
kern.*\t\t\t\t-/var/log/kern.log
mail.*\t\t\t\t-/var/log/mail.log
mail.err\t\t\t/var/log/mail.err
*.emerg\t\t\t\t:omusrmsg:*
`;

// Ubuntu's rsyslog ships this so that systemd-tmpfiles keeps /var/log writable by the syslog
// group at every boot (Debian's var.conf would reset it to 0755).
const UBUNTU_RSYSLOG_TMPFILES = "z /var/log 0775 root syslog -\n";

async function inRoot(root: string, argv: readonly string[]): Promise<void> {
  await execa("chroot", [root, ...argv], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" }, extendEnv: false });
}

/** The changes a debootstrapped Debian root gets before units boot from it. */
async function customiseRoot(root: string): Promise<void> {
  // Packages come only from the harness's repository: units make no outside traffic.
  rmSync(join(root, "etc/apt/sources.list"), { force: true });
  writeFileSync(join(root, "etc/apt/sources.list.d/orchestra-units.list"), `deb [trusted=yes] ${REPOSITORY_URL} ./\n`);
  writeFileSync(join(root, "etc/apt/apt.conf.d/90orchestra-units"), 'Acquire::Languages "none";\nAcquire::Retries "0";\n');
  writeFileSync(join(root, "etc/resolv.conf"), "# no DNS on the unit network\n");
  // Ubuntu's rsyslog, as a 24.04 machine has it before any charm runs: installed, with its
  // syslog user and group, its rsyslog.conf, default rules, tmpfiles entry and spool.
  await inRoot(root, ["groupadd", "--system", "syslog"]);
  await inRoot(root, ["useradd", "--system", "--gid", "syslog", "--groups", "adm", "--home-dir", "/nonexistent", "--no-create-home", "--shell", "/usr/sbin/nologin", "syslog"]);
  writeFileSync(join(root, "etc/rsyslog.conf"), UBUNTU_RSYSLOG_CONF);
  writeFileSync(join(root, "etc/rsyslog.d/50-default.conf"), UBUNTU_RSYSLOG_DEFAULT_RULES);
  writeFileSync(join(root, "usr/lib/tmpfiles.d/00rsyslog.conf"), UBUNTU_RSYSLOG_TMPFILES);
  await inRoot(root, ["chgrp", "syslog", "/var/log"]);
  await inRoot(root, ["chmod", "0775", "/var/log"]);
  mkdirSync(join(root, "var/spool/rsyslog"), { recursive: true });
  await inRoot(root, ["chown", "syslog:adm", "/var/spool/rsyslog"]);
  // A fresh machine id per boot: nspawn provides one when the file is empty.
  writeFileSync(join(root, "etc/machine-id"), "");
  // debootstrap copies the host's name; without the file the unit keeps the one nspawn gives it.
  rmSync(join(root, "etc/hostname"), { force: true });
}

/**
 * The root for `inputs`, built now if the cache has none (about 2.5 minutes), reused otherwise.
 * Parallel callers wait for one build.
 */
export async function ensureRootImage(inputs: RootInputs = DEFAULT_ROOT_INPUTS): Promise<RootImage> {
  const key = cacheKey(inputs);
  const path = join(UNITS_CACHE_DIR, `root-${key}`);
  mkdirSync(UNITS_CACHE_DIR, { recursive: true });
  return await withBuildLock(`${path}.lock`, async () => {
    if (existsSync(path)) return { path, key, buildSeconds: 0 };
    const started = Date.now();
    const building = `${path}.building`;
    rmSync(building, { recursive: true, force: true });
    await execa("debootstrap", [`--variant=${inputs.variant}`, `--include=${inputs.include.join(",")}`, inputs.suite, building, inputs.mirror]);
    await customiseRoot(building);
    renameSync(building, path);
    return { path, key, buildSeconds: (Date.now() - started) / 1000 };
  });
}
