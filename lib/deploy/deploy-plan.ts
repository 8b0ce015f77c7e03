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
  /** Where the ramdisk fetches the cloud-init seed file it writes into the root file system. */
  readonly seedConfigUrl?: string;
  readonly progressUrl: string;
  readonly reportUrl: string;
  /** Where the deployed system says it booted (cloud-init's phone_home). */
  readonly bootedUrl: string;
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
  ];
  return lines.map(([key, value]) => `${key}=${value}\n`).join("");
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
