/**
 * A throwaway PostgreSQL server (Debian's postgresql package) for tests: its own cluster in
 * a temporary directory, on 127.0.0.1 and a free port, run as the postgres user, stopped
 * by its pid file and removed afterwards.
 */
import { freeTcpPort } from "./free-port.ts";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/** A running test cluster. */
export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

function postgresBin(): string {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error("PostgreSQL is not installed: run tests/install-deps.sh");
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

async function ids(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([execa("id", ["-u", "postgres"]), execa("id", ["-g", "postgres"])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** Start a fresh cluster; `stop()` shuts it down and deletes it. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "orchestra-pg-"));
  const { uid, gid } = await ids();
  chownSync(dir, uid, gid);
  const data = join(dir, "data");
  const asPostgres = (cmd: string, args: string[]) => execa("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { cwd: dir });
  const port = await freeTcpPort();
  try {
    await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "orchestra", "--no-sync"]);
    // fsync off: a test cluster trades durability for speed; it is deleted afterwards.
    await asPostgres("pg_ctl", ["-D", data, "-w", "-l", join(dir, "log"), "-o", `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=50`, "start"]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://orchestra@127.0.0.1:${port}/postgres`,
    async stop() {
      await asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
