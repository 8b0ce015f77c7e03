/**
 * @module testing/units/build-lock
 * One builder at a time for a cached artefact (the unit root, the apt repository): test files
 * run in parallel workers and must not debootstrap the same root twice. flock(1) locks the
 * open file description it inherits, so the lock outlives the flock process and holds for as
 * long as this process keeps the file open.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

/** Holds an exclusive lock on `lockPath` while `build` runs. */
export async function withBuildLock<T>(lockPath: string, build: () => Promise<T>): Promise<T> {
  const fd = openSync(lockPath, "a");
  try {
    // fd 3 of the child is our descriptor; flock blocks until every other holder closed theirs.
    await new Promise<void>((resolve, reject) => {
      // Node's spawn (not execa) passes a raw descriptor through as the child's fd 3.
      const flock = spawn("flock", ["--exclusive", "3"], { stdio: ["ignore", "ignore", "inherit", fd] });
      flock.on("error", reject);
      flock.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`flock ${lockPath} exited ${code}`))));
    });
    return await build();
  } finally {
    closeSync(fd);
  }
}
