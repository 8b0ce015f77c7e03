/**
 * @module tests/maas/helpers/gomaasapi-client
 * Builds the Go MAAS client (tests/maas/gomaasapi-client/main.go, on Debian's gomaasapi)
 * once per set of inputs and runs it. Built offline: GOPATH mode (GO111MODULE=off) against
 * /usr/share/gocode, no module proxy. The binary is cached under node_modules/.cache by the
 * hash of its source, the Go version and the gomaasapi package version, so test files (and
 * CI runs on one checkout) share one build.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const SOURCE_DIR = resolve(import.meta.dirname, "../gomaasapi-client");
const CACHE_DIR = resolve(import.meta.dirname, "../../../node_modules/.cache/orchestra-gomaasapi-client");

/** The inputs the binary depends on, as one hash. */
async function inputsHash(): Promise<string> {
  const [{ stdout: go }, { stdout: pkg }] = await Promise.all([
    run("go", ["version"], { encoding: "utf8" }),
    run("dpkg-query", ["-W", "-f=${Version}", "golang-github-juju-gomaasapi-dev"], { encoding: "utf8" }),
  ]);
  return createHash("sha256").update(readFileSync(join(SOURCE_DIR, "main.go"))).update(go).update(pkg).digest("hex").slice(0, 16);
}

/** The built client's path, building it when its inputs changed. */
export async function gomaasapiClient(): Promise<string> {
  const dir = join(CACHE_DIR, await inputsHash());
  const binary = join(dir, "gomaasapi-client");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // Build beside the final name and rename: another test file building at once never sees half a binary.
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await run("go", ["build", "-o", partial, "main.go"], {
      cwd: SOURCE_DIR,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        GO111MODULE: "off",
        GOPATH: `${join(dir, "gopath")}:/usr/share/gocode`,
        GOCACHE: join(CACHE_DIR, "go-build"),
        GOPROXY: "off",
        GOFLAGS: "",
        CGO_ENABLED: "0",
      },
    });
    renameSync(partial, binary);
  } finally {
    rmSync(partial, { force: true });
  }
  return binary;
}

/** What the client reports (see main.go). */
export interface ClientReport {
  capabilities: string[];
  zones: string[];
  pools: string[];
  spaces: Record<string, string[]>;
  fabrics: Record<string, number[]>;
  domains: string[];
  static_routes: number;
  boot_resources: string[];
  tags: string[] | null;
  machines_with_agent_before: number;
  allocated: { system_id: string; status: string; zone: string; cpus: number; memory: number; tags: string[] };
  constraint_matches: { storage: number; interfaces: number };
  deployed: { status: string; osystem: string; series: string; ip_addresses: string[]; links: { interface: string; mac: string; mode: string; subnet: string; ip: string }[]; owner_data: Record<string, string>; power_state: string };
  statuses_seen: string[];
  found_by_owner_data: number;
  devices: number;
  status_after_release: string;
  errors: Record<string, string>;
}

/** Run the client against `baseUrl` (http://host:port/MAAS/) with `env` settings. */
export async function runGomaasapiClient(env: Record<string, string>, timeoutMs = 120_000): Promise<ClientReport> {
  const binary = await gomaasapiClient();
  try {
    const { stdout } = await run(binary, [], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...env }, timeout: timeoutMs });
    return JSON.parse(stdout) as ClientReport;
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string };
    throw new Error(`gomaasapi client failed: ${failed.stderr ?? ""}${failed.stdout ?? ""}`, { cause: error });
  }
}
