/**
 * @module boot/boot-preflight
 * What `orchestra serve` checks at start so that a missing file is found by the operator,
 * not by a node at 3 a.m.: every registered image's files are present and whole, and a
 * discovery image exists for unknown machines to boot.
 */
import { stat } from "node:fs/promises";
import type { Logger } from "pino";
import { IMAGE_FILE_NAMES } from "../images/boot-image.ts";
import { imageFilePath, listImages } from "../images/image-store.ts";

/** One problem found at start. */
export interface PreflightProblem {
  readonly severity: "error" | "warning";
  readonly message: string;
}

/** Check the boot images of a data directory. */
export async function checkBootImages(dataDir: string): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  const images = await listImages(dataDir);
  for (const image of images) {
    for (const file of IMAGE_FILE_NAMES) {
      const expected = image.files[file];
      if (!expected) continue;
      const path = imageFilePath(dataDir, image.id, file);
      const info = await stat(path).catch(() => undefined);
      if (!info) problems.push({ severity: "error", message: `image ${image.id} (${image.name}): ${file} ${path} is missing` });
      else if (info.size !== expected.sizeBytes) problems.push({ severity: "error", message: `image ${image.id} (${image.name}): ${file} is ${info.size} bytes, expected ${expected.sizeBytes}` });
    }
  }
  if (!images.some((image) => image.role === "discovery")) {
    problems.push({ severity: "warning", message: "no discovery image: unknown machines will wait until one exists (orchestra images build-discovery)" });
  }
  return problems;
}

/** Log each problem; returns whether any was an error. */
export function reportPreflight(problems: readonly PreflightProblem[], logger: Logger): boolean {
  for (const problem of problems) logger[problem.severity === "error" ? "error" : "warn"]({ preflight: true }, problem.message);
  return problems.some((problem) => problem.severity === "error");
}
