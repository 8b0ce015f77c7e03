/**
 * Debian's boto3 (python3-boto3, run with /usr/bin/python3, not the pyenv one on PATH)
 * against a real `orchestra serve`.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, "fixtures/boto3-session.py");
const IMAGE = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;

let orchestra: OrchestraProcess;

beforeAll(async () => {
  orchestra = await startOrchestra();
  await orchestra.addMachines(3);
});
afterAll(() => orchestra?.stop());

describe("boto3 from Debian", () => {
  it("launches, waits, paginates, tags, keys, groups, presigns and terminates", async () => {
    const key = await orchestra.createCredentials("boto");
    const { stdout } = await run("/usr/bin/python3", [SCRIPT], {
      encoding: "utf8",
      env: {
        PATH: "/usr/bin:/bin",
        HOME: orchestra.dataDir,
        ORCHESTRA_ENDPOINT: orchestra.endpoint,
        ORCHESTRA_REGION: orchestra.region,
        ORCHESTRA_KEY: key.accessKeyId,
        ORCHESTRA_SECRET: key.secretAccessKey,
        ORCHESTRA_IMAGE: IMAGE,
      },
    });
    const out = JSON.parse(stdout);
    // The Debian package, not pyenv's boto3 (which is a newer 1.4x).
    expect(out.boto3).toMatch(/^1\.26\./);
    expect(out.run).toEqual({ count: 2, states: ["running", "running"] });
    expect(out.waited).toBe(true);
    expect(out.paginated).toBe(true);
    expect(out.tags).toEqual([
      ["role", "db"],
      ["team", "boto"],
    ]);
    expect(out.key).toEqual({ pem: true, listed: ["boto-key"] });
    expect(out.group).toEqual(["tcp", 443, "10.0.0.0/8", "https"]);
    expect(out.errors).toEqual({
      not_found: ["InvalidInstanceID.NotFound", 400],
      dry_run: ["DryRunOperation", 412],
      bad_image: ["InvalidAMIID.NotFound", 400],
      duplicate_group: ["InvalidGroup.Duplicate", 400],
      unsupported_volume: ["UnsupportedOperation", 400],
    });
    expect(out.presigned).toEqual([200, true]);
    expect(out.presigned_post).toEqual([200, true]);
    expect(out.presigned_tampered).toEqual([403, true]);
    expect(out.terminated).toEqual(["terminated", "terminated"]);
  });
});
