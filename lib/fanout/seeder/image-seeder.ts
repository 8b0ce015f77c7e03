/**
 * @module fanout/seeder/image-seeder
 * The server's seeder for one image: an aria2c process seeding the image file in place from
 * the data directory, its log read as it is written to count what each peer was sent. Every
 * `reportSeconds` (and when it stops) it logs one line per peer that got something new:
 * `fan-out seeder: served <bytes> bytes (<pieces> pieces) of <image> to <peer>`.
 */
import { createInterface } from "node:readline";
import { execa, type ResultPromise } from "execa";
import { aria2SeedArguments } from "../aria2/aria2-arguments.ts";
import type { FanoutLog } from "../tracker/fanout-tracker.ts";
import { parseUploadedBlock, UploadTally } from "./aria2-upload-log.ts";

/** What to seed, and how. */
export interface ImageSeederOptions {
  /** A name for the log (the image id). */
  readonly image: string;
  /** The .torrent file (its announce URL carries the server's seeder key). */
  readonly torrent: string;
  /** The directory holding the image file, and the file's name there. */
  readonly dir: string;
  readonly file: string;
  /** A port, or a range aria2c picks a free one from ("6881-6999"). */
  readonly listenPort: number | string;
  readonly log: FanoutLog;
  /** Cap on upload, bytes a second (none by default): a knob for the benchmark. */
  readonly maxUploadBytesPerSecond?: number;
  /** How often per-peer lines are logged (default 5 s). */
  readonly reportSeconds?: number;
  /** aria2c's path (default: aria2c on PATH). */
  readonly aria2c?: string;
}

/** A running seeder. */
export interface ImageSeeder {
  readonly pid: number;
  /** Bytes and pieces sent to each peer so far. */
  served(): Array<{ peer: string; bytes: number; pieces: number }>;
  /** Resolves when aria2c has exited (by stop() or by itself), with its exit code. */
  readonly exited: Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Start aria2c seeding `options.file`. */
export function startImageSeeder(options: ImageSeederOptions): ImageSeeder {
  const { log } = options;
  const tally = new UploadTally();
  const reported = new Map<string, number>();
  const child: ResultPromise = execa(options.aria2c ?? "aria2c", [
    ...aria2SeedArguments({ torrent: options.torrent, dir: options.dir, out: options.file, listenPort: options.listenPort, unverified: true, stopWithPid: process.pid, log: "-", logLevel: "info", ...(options.maxUploadBytesPerSecond ? { maxUploadBytesPerSecond: options.maxUploadBytesPerSecond } : {}) }),
  ], { reject: false, stdin: "ignore", stderr: "pipe", buffer: false });
  const pid = child.pid ?? 0;
  const report = () => {
    for (const { peer, bytes, pieces } of tally.totals()) {
      if (reported.get(peer) === bytes) continue;
      reported.set(peer, bytes);
      log.info({ image: options.image, peer, bytes, pieces }, `fan-out seeder: served ${bytes} bytes (${pieces} pieces) of ${options.image} to ${peer}`);
    }
  };
  if (child.stdout) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const block = parseUploadedBlock(line);
      if (block) tally.add(block);
    });
  }
  if (child.stderr) createInterface({ input: child.stderr }).on("line", (line) => log.warn({ image: options.image, pid }, `fan-out seeder: aria2c: ${line}`));
  const timer = setInterval(report, (options.reportSeconds ?? 5) * 1000);
  timer.unref();
  const exited = child.then((result) => {
    clearInterval(timer);
    report();
    log.info({ image: options.image, pid, exitCode: result.exitCode, bytes: tally.bytes() }, `fan-out seeder: stopped seeding ${options.image} (pid ${pid}): ${tally.bytes()} bytes served`);
    return result.exitCode;
  });
  log.info({ image: options.image, pid, port: options.listenPort }, `fan-out seeder: seeding ${options.image} (aria2c pid ${pid}, port ${options.listenPort})`);
  return {
    pid,
    served: () => tally.totals(),
    exited,
    stop: async () => {
      child.kill("SIGTERM");
      // aria2c tells the tracker it stopped before it exits; a wedged one is killed.
      const timeout = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
