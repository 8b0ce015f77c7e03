/**
 * @module server/fanout-service
 * What `orchestra serve --fanout` runs beside its listeners:
 *
 * - the tracker, as its own process (`orchestra fanout tracker`), so that it can be stopped
 *   (or crash) while serve keeps running and nodes finish over HTTP; its pid is in
 *   `<data dir>/fanout/tracker.pid`. It is not restarted: fan-out is an accelerator, and a
 *   tracker that keeps dying should be seen in the log, not hidden by a loop;
 * - one aria2c seeder per image that has deployments in flight (lib/fanout/seeder), started
 *   when the first deployment of it begins and stopped when the last one is over; each logs
 *   what it served to every peer.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Logger } from "pino";
import { imagesInFlight } from "../deploy/deployment-rows.ts";
import { deploymentImageTorrent } from "../deploy/fanout-torrents.ts";
import { type ImageSeeder, startImageSeeder } from "../fanout/seeder/image-seeder.ts";
import { imagesDir } from "../images/image-store.ts";
import type { Inventory } from "../inventory/inventory.ts";
import type { ListenAddress } from "./listen-address.ts";
import { startPeriodicWorker, type Worker } from "./periodic-worker.ts";

/** How serve runs fan-out. */
export interface FanoutServiceOptions {
  readonly dataDir: string;
  readonly inventory: Inventory;
  readonly logger: Logger;
  /** Where the tracker listens. */
  readonly trackerListen: ListenAddress;
  /** The tracker's URL as the seeder (and nodes) reach it: the seeder's announces must come from an address nodes can reach. */
  readonly trackerUrl: string;
  /** How to start `orchestra fanout tracker` (argv: the program and its leading arguments). */
  readonly trackerCommand: readonly string[];
  /** The seeders' BitTorrent ports: aria2c takes a free one in this range ("6881-6999"). */
  readonly seederPorts?: string;
  /** Cap on each seeder's upload, bytes a second (none by default). */
  readonly seederMaxUploadBytesPerSecond?: number;
  /** How often in-flight deployments are checked for seeders to start or stop (default 5 s). */
  readonly checkSeconds?: number;
}

/** A running fan-out service. */
export interface FanoutService {
  readonly trackerPid: number;
  /** The images seeded now, with their aria2c pids. */
  seeders(): Record<string, number>;
  close(): Promise<void>;
}

/** Where the tracker's pid is written. */
export function fanoutTrackerPidFile(dataDir: string): string {
  return join(dataDir, "fanout", "tracker.pid");
}

/** Start the tracker process and the seeder worker. */
export async function startFanoutService(options: FanoutServiceOptions): Promise<FanoutService> {
  const { dataDir, logger } = options;
  const log = logger.child({ service: "fanout" });
  await mkdir(join(dataDir, "fanout", "seed"), { recursive: true });
  // The seeder's pass to the tracker; it lives in this process and the tracker's environment only.
  const seederKey = randomBytes(24).toString("base64url");
  const [program, ...leading] = options.trackerCommand;
  const tracker: ResultPromise = execa(program!, [...leading, "fanout", "tracker", "--data-dir", dataDir, "--listen", `${options.trackerListen.host}:${options.trackerListen.port}`], {
    reject: false,
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
    env: { ORCHESTRA_FANOUT_SEEDER_KEY: seederKey },
  });
  const trackerPid = tracker.pid ?? 0;
  await writeFile(fanoutTrackerPidFile(dataDir), `${trackerPid}\n`);
  let closing = false;
  void tracker.then((result) => {
    if (!closing) log.warn({ pid: trackerPid, exitCode: result.exitCode, signal: result.signal }, `fan-out tracker exited (pid ${trackerPid}, ${result.signal ?? `exit ${result.exitCode}`}): fan-out is off until orchestra serve restarts; deployments fetch their image over HTTP`);
  });
  log.info({ pid: trackerPid, listen: options.trackerListen, pidFile: fanoutTrackerPidFile(dataDir) }, `fan-out tracker started (pid ${trackerPid})`);

  const seeders = new Map<string, ImageSeeder>();
  const reconcile = async () => {
    const wanted = new Set(await imagesInFlight(options.inventory.db));
    for (const [image, seeder] of seeders) {
      if (wanted.has(image)) continue;
      seeders.delete(image);
      await seeder.stop();
    }
    for (const image of wanted) {
      if (seeders.has(image)) continue;
      const { torrent } = await deploymentImageTorrent(dataDir, image, options.trackerUrl, seederKey);
      const torrentPath = join(dataDir, "fanout", "seed", `${image}.torrent`);
      await writeFile(torrentPath, torrent);
      const seeder = startImageSeeder({
        image,
        torrent: torrentPath,
        dir: join(imagesDir(dataDir), image),
        file: "root",
        listenPort: options.seederPorts ?? "6881-6999",
        log,
        ...(options.seederMaxUploadBytesPerSecond ? { maxUploadBytesPerSecond: options.seederMaxUploadBytesPerSecond } : {}),
      });
      seeders.set(image, seeder);
      // One that exits by itself is started again on the next check while its image is still in flight.
      void seeder.exited.then(() => {
        if (seeders.get(image) === seeder) seeders.delete(image);
      });
    }
  };
  const worker: Worker = startPeriodicWorker("fan-out seeders", reconcile, logger, (options.checkSeconds ?? 5) * 1000);
  return {
    trackerPid,
    seeders: () => Object.fromEntries([...seeders].map(([image, seeder]) => [image, seeder.pid])),
    async close() {
      closing = true;
      await worker.stop();
      await Promise.all([...seeders.values()].map((seeder) => seeder.stop()));
      seeders.clear();
      tracker.kill("SIGTERM");
      await tracker;
      await rm(fanoutTrackerPidFile(dataDir), { force: true });
    },
  };
}
