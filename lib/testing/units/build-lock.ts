/**
 * @module testing/units/build-lock
 * One builder at a time for a cached artefact (the unit root, the apt repository): test files
 * run in parallel workers and must not debootstrap the same root twice. flock(1) locks the
 * open file description it inherits, so the lock outlives the flock process and holds for as
 * long as this process keeps the file open.
 */
import { closeSync, openSync } from "node:fs";
import { execa } from "execa";

/** Holds an exclusive lock on `lockPath` while `build` runs. */
export async function withBuildLock<T>(lockPath: string, build: () => Promise<T>): Promise<T> {
  const fd = openSync(lockPath, "a");
  try {
    // fd 3 of the child is our descriptor; flock blocks until every other holder closed theirs.
    await execa("flock", ["--exclusive", "3"], { stdio: ["ignore", "ignore", "pipe", fd] });
    return await build();
  } finally {
    closeSync(fd);
  }
}
