/**
 * @module deploy/deploy-plan
 * What the deploy ramdisk is told to do, as `KEY=value` lines that a busybox shell reads
 * with `read` (never `eval`): every value is checked against a character set that needs no
 * quoting, so a hostile image name or URL cannot become a command on the node.
 */

import type { ImageFormat } from "../images/disk-image-format.ts";

export { imageFormatOf, type ImageFormat } from "../images/disk-image-format.ts";

/** The plan for one deployment. */
export interface DeployPlan {
  readonly systemId: string;
  readonly imageId: string;
  readonly imageUrl: string;
  readonly imageFormat: ImageFormat;
  /** SHA-256 of the image file as served (compressed, if it is). */
  readonly imageSha256: string;
  readonly imageBytes: number;
  /** The disk's kernel name, e.g. sda, vda, nvme0n1. */
  readonly disk: string;
  /** The MBR partition holding the root file system, where the cloud-init seed is written. */
  readonly rootPartition?: number;
  /** Where the ramdisk fetches the cloud-init seed file it writes into the root file system (ramdisks older than `seedConfig`). */
  readonly seedConfigUrl?: string;
  /**
   * That seed file itself, sent at the end of the plan (SEED_CONFIG_LINES): one request fewer
   * per deployment than fetching it from seedConfigUrl (tests/bench/deploy-overhead.ts).
   */
  readonly seedConfig?: string;
  readonly progressUrl: string;
  readonly reportUrl: string;
  /** Where the deployed system says it booted (cloud-init's phone_home). */
  readonly bootedUrl: string;
  /**
   * Fan-out (lib/fanout): where the node fetches the image's torrent, how long it keeps
   * seeding after its download, and how long a stalled swarm is waited on before HTTP.
   * Absent: the node streams the image over HTTP as always.
   */
  readonly fanout?: { readonly torrentUrl: string; readonly seedSeconds: number; readonly stallSeconds: number };
}

/** The plan format's version, the first line of every plan. */
export const DEPLOY_PLAN_VERSION = 1;

const SAFE_URL = /^https?:\/\/[A-Za-z0-9.:[\]_~%/-]+$/;
const SAFE_WORD = /^[A-Za-z0-9._-]+$/;

function check(key: string, value: string, shape: RegExp): string {
  if (!shape.test(value)) throw new Error(`refusing to put ${key}=${JSON.stringify(value)} into a deploy plan`);
  return value;
}

/** The plan as the ramdisk reads it. */
export function renderDeployPlan(plan: DeployPlan): string {
  const lines: Array<[string, string]> = [
    ["ORCHESTRA_DEPLOY_PLAN", String(DEPLOY_PLAN_VERSION)],
    ["SYSTEM_ID", check("SYSTEM_ID", plan.systemId, SAFE_WORD)],
    ["IMAGE_ID", check("IMAGE_ID", plan.imageId, SAFE_WORD)],
    ["IMAGE_URL", check("IMAGE_URL", plan.imageUrl, SAFE_URL)],
    ["IMAGE_FORMAT", plan.imageFormat],
    ["IMAGE_SHA256", check("IMAGE_SHA256", plan.imageSha256, /^[0-9a-f]{64}$/)],
    ["IMAGE_BYTES", String(Math.trunc(plan.imageBytes))],
    ["DISK", check("DISK", plan.disk, /^[a-z][a-z0-9]{1,31}$/)],
    ["ROOT_PARTITION", plan.rootPartition === undefined ? "" : String(checkPartition(plan.rootPartition))],
    ["SEED_CONFIG_URL", plan.seedConfigUrl === undefined ? "" : check("SEED_CONFIG_URL", plan.seedConfigUrl, SAFE_URL)],
    ["PROGRESS_URL", check("PROGRESS_URL", plan.progressUrl, SAFE_URL)],
    ["REPORT_URL", check("REPORT_URL", plan.reportUrl, SAFE_URL)],
    ["BOOTED_URL", check("BOOTED_URL", plan.bootedUrl, SAFE_URL)],
    // Added after version 1 without changing it: a ramdisk that does not know these keys skips them.
    ["TORRENT_URL", plan.fanout === undefined ? "" : check("TORRENT_URL", plan.fanout.torrentUrl, SAFE_URL)],
    ["FANOUT_SEED_SECONDS", plan.fanout === undefined ? "" : String(checkSeconds("FANOUT_SEED_SECONDS", plan.fanout.seedSeconds))],
    ["FANOUT_STALL_SECONDS", plan.fanout === undefined ? "" : String(checkSeconds("FANOUT_STALL_SECONDS", plan.fanout.stallSeconds))],
  ];
  const keys = lines.map(([key, value]) => `${key}=${value}\n`).join("");
  if (plan.seedConfig === undefined) return keys;
  // Last, so the ramdisk takes the file with `tail -n`; a ramdisk that predates the key reads
  // its lines as keys it does not know (none may look like one) and fetches SEED_CONFIG_URL.
  const seedLines = checkSeedConfig(plan.seedConfig);
  return `${keys}SEED_CONFIG_LINES=${seedLines.length}\n${plan.seedConfig}`;
}

/** The seed file's lines; refused when it does not end a line or a line could read as a plan key. */
function checkSeedConfig(seed: string): string[] {
  if (seed === "" || !seed.endsWith("\n")) throw new Error("refusing to put a seed file into a deploy plan: it must be whole lines");
  const lines = seed.slice(0, -1).split("\n");
  const keyLike = lines.find((line) => /^[A-Z_]+=/.test(line));
  if (keyLike !== undefined) throw new Error(`refusing to put a seed file into a deploy plan: its line ${JSON.stringify(keyLike)} reads as a plan key`);
  return lines;
}

function checkSeconds(key: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 86400) throw new Error(`refusing to put ${key}=${n} into a deploy plan: whole seconds, 0-86400`);
  return n;
}

function checkPartition(n: number): number {
  // MBR primary partitions only: the ramdisk reads the start sector from the partition table.
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new Error(`root partition ${n} is not an MBR primary partition (1-4)`);
  return n;
}

/**
 * The disk to deploy to: the first of the machine's disks by kernel name that is large
 * enough (the image's size is a floor: compressed images need more), else undefined.
 */
export function chooseDisk(disks: ReadonlyArray<{ readonly name: string; readonly sizeBytes: number }>, minimumBytes: number): string | undefined {
  return [...disks].filter((d) => d.sizeBytes >= minimumBytes).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0]?.name;
}
