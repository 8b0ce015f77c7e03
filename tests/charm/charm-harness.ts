/**
 * The orchestra charm under lib/testing: a Context over the charm's esbuild bundle (the
 * code a packed charm's dispatch runs), a temp filesystem root for everything it writes,
 * and stand-ins for the system
 * commands it runs (apt-get, dpkg-query, systemctl, the daemons' config checks and the
 * orchestra CLI), each a real executable on PATH that records its argv.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Context, state, type State } from "../../lib/testing/index.ts";
import { bundleCharm } from "../../charm/pack/bundle.ts";

/** A port nothing listens on right now, on loopback. */
export { freeTcpPort as freePort } from "../helpers/free-port.ts";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

/** A valid config for a unit with every component. */
export const GOOD_CONFIG = {
  "provisioning-interface": "eth1",
  "provisioning-subnet": "10.10.0.0/24",
} as const;

const SCRIPTS: Record<string, string> = {
  "apt-get": `
if [ "$1" = install ]; then
  for a in "$@"; do case "$a" in install|-*) ;; *) touch "$S/pkg-$a";; esac; done
  # Debian's ipxe package brings the loaders: the real ones from this machine.
  for a in "$@"; do if [ "$a" = ipxe ]; then mkdir -p "$R/usr/lib/ipxe"; cp /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi "$R/usr/lib/ipxe/"; fi; done
fi`,
  "dpkg-query": `
for a in "$@"; do last="$a"; done
if [ -f "$S/pkg-$last" ]; then printf installed; else echo "dpkg-query: no packages found matching $last" >&2; exit 1; fi`,
  systemctl: `
case "$1" in
  enable) touch "$S/svc-$3";;
  start|restart|reload-or-restart) touch "$S/svc-$2";;
  stop) rm -f "$S/svc-$2";;
  is-active) test -f "$S/svc-$3" || exit 3;;
esac`,
  service: `
case "$2" in
  start|restart|reload) touch "$S/svc-$1";;
  stop) rm -f "$S/svc-$1";;
  status) test -f "$S/svc-$1" || exit 3;;
esac`,
  dnsmasq: `test ! -f "$S/reject-dnsmasq" || { echo "dnsmasq: bad option" >&2; exit 1; }`,
  squid: `test ! -f "$S/reject-squid" || exit 1`,
  nginx: `test ! -f "$S/reject-nginx" || exit 1`,
  rsyslogd: `test ! -f "$S/reject-rsyslogd" || exit 1`,
  orchestra: `
env > "$S/orchestra-env"
if [ -f "$S/orchestra-fail" ]; then echo "orchestra: error: the store is unavailable" >&2; exit 1; fi
shift 2
case "$1 $2" in
  "machines list") cat "$S/machines.json" 2>/dev/null || echo "[]";;
  "machines accept"|"machines commission")
    verb="$2"; shift 2; first=1; printf '['
    for m in "$@"; do [ "$m" = --json ] && continue; [ $first = 1 ] || printf ','; first=0
      printf '{"systemId":"%s","hostname":"node-%s","status":"commissioning"}' "$m" "$m"; done
    echo ']';;
  "machines add") echo '{"systemId":"m-abc123","hostname":"node-m-abc123","status":"new"}';;
  "credentials create") n=$(cat "$S/keys" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$S/keys"
    echo "{\\"accessKeyId\\":\\"AKIAORCHESTRA0000000$n\\",\\"secretAccessKey\\":\\"secret-$n\\"}";;
  "credentials revoke") echo '{}';;
  "images import") echo '[{"name":"noble","arch":"amd64"}]';;
  *) echo "orchestra: unknown command $1 $2" >&2; exit 2;;
esac`,
};

/**
 * The charm bundle the tests run, built once per test worker (starting a bundle takes a
 * tenth of loading the TypeScript). It lives in node_modules/.cache, like other build
 * caches, and is built beside its final name and renamed, so workers never see half a file.
 */
async function buildTestBundle(): Promise<string> {
  const cacheDir = join(repoRoot, "node_modules", ".cache", "orchestra-charm");
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, "build-"));
  try {
    const built = (await bundleCharm(repoRoot, staging, "charm")).charm;
    const target = join(cacheDir, "charm.js");
    renameSync(built, target);
    return target;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export const charmBundle = await buildTestBundle();

/** One charm test's world: the Context, the temp root and the recorded commands. */
export interface CharmHarness {
  ctx: Context;
  /** The filesystem root the charm writes under. */
  root: string;
  /** Where the fakes keep their state (installed packages, running services). */
  stateDir: string;
  /** Every system command run so far, as argv arrays. */
  commands(): string[][];
  clearCommands(): void;
  /** A file the charm wrote, by its absolute path on the unit. */
  read(path: string): string;
  exists(path: string): boolean;
  /** Replaces a fake command with this sh body (it still records its argv). */
  override(name: string, body: string): void;
  /** Makes a fake misbehave (reject-dnsmasq, orchestra-fail ...). */
  flag(name: string, on?: boolean): void;
  running(service: string): boolean;
  cleanup(): void;
}

/** Creates a harness; call cleanup() in afterEach. */
export function charmHarness(options: { unitId?: number; serviceManager?: "systemd" | "direct"; charmDir?: string; command?: string[]; jujuVersion?: string; env?: Record<string, string> } = {}): CharmHarness {
  const base = mkdtempSync(join(tmpdir(), "orchestra-charm-"));
  const root = join(base, "root");
  const stateDir = join(base, "state");
  const sysbin = join(base, "sysbin");
  const overrides = join(base, "overrides");
  for (const d of [root, stateDir, sysbin, overrides]) mkdirSync(d);
  const log = join(base, "commands.log");
  const install = (dir: string, name: string, body: string) => {
    const script = `#!/bin/sh\nS='${stateDir}'\nR='${root}'\n{ printf '%s' "${name}"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> '${log}'\n${body.trim()}\nexit 0\n`;
    writeFileSync(join(dir, name), script);
    chmodSync(join(dir, name), 0o755);
  };
  for (const [name, body] of Object.entries(SCRIPTS)) install(sysbin, name, body);
  const ctx = new Context({
    charmDir: options.charmDir ?? repoRoot,
    // An unpacked charm runs through its own dispatch; the source tree through the bundle.
    ...(options.charmDir === undefined ? { command: [process.execPath, charmBundle] } : options.command ? { command: options.command } : {}),
    ...(options.unitId === undefined ? {} : { unitId: options.unitId }),
    ...(options.jujuVersion === undefined ? {} : { jujuVersion: options.jujuVersion }),
    extraPath: [overrides, sysbin],
    env: {
      ORCHESTRA_CHARM_ROOT: root,
      ORCHESTRA_SERVICE_MANAGER: options.serviceManager ?? "systemd",
      ORCHESTRA_CHARM_CLI: join(sysbin, "orchestra"),
      ...options.env,
    },
  });
  return {
    ctx,
    root,
    stateDir,
    commands: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => l.split("\u001f")) : []),
    clearCommands: () => rmSync(log, { force: true }),
    override: (name, body) => install(overrides, name, body),
    read: (path) => readFileSync(join(root, path), "utf8"),
    exists: (path) => existsSync(join(root, path)),
    flag: (name, on = true) => (on ? writeFileSync(join(stateDir, name), "") : rmSync(join(stateDir, name), { force: true })),
    running: (service) => existsSync(join(stateDir, `svc-${service}`)),
    cleanup: () => {
      // A direct-mode test may leave services running: stop each by its pid.
      const pidDir = join(root, "run", "orchestra");
      for (const file of existsSync(pidDir) ? readdirSync(pidDir).filter((f) => f.endsWith(".pid")) : []) {
        try {
          process.kill(Number(readFileSync(join(pidDir, file), "utf8").trim()), "SIGTERM");
        } catch {
          // Already gone.
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** A State with a valid config for this charm, plus `fields`. */
export function configured(fields: Partial<State> = {}): State {
  return state({ ...fields, config: { ...GOOD_CONFIG, ...(fields.config ?? {}) } });
}
