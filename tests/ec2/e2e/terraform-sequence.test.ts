/**
 * Replays, with Debian's boto3, what Terraform's AWS provider does for one aws_instance
 * (reference/iac_clients.md): GetCallerIdentity at start-up, RunInstances with instance and
 * volume tags, the refresh calls (any error among them fails a plan), a user-data update by
 * stop/modify/start, and the delete that lifts termination protection first. Terraform itself
 * is not installable here (no Debian package), so this is a replay, not Terraform.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, "fixtures/terraform-sequence.py");
const IMAGE = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;

let orchestra: OrchestraProcess;

beforeAll(async () => {
  orchestra = await startOrchestra();
  await orchestra.addMachines(1, { diskGib: 40 });
});
afterAll(() => orchestra?.stop());

describe("Terraform's aws_instance calls, replayed with boto3", () => {
  it("creates, refreshes, updates user data and deletes a protected instance", async () => {
    const key = await orchestra.createCredentials("terraform");
    const { stdout } = await run("/usr/bin/python3", [SCRIPT], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", HOME: orchestra.dataDir, ORCHESTRA_ENDPOINT: orchestra.endpoint, ORCHESTRA_REGION: orchestra.region, ORCHESTRA_KEY: key.accessKeyId, ORCHESTRA_SECRET: key.secretAccessKey, ORCHESTRA_IMAGE: IMAGE },
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`${error.message}\n${error.stderr ?? ""}`);
    });
    const out = JSON.parse(stdout);
    expect(out.account).toMatch(/^[0-9]{12}$/);
    const refreshed = { state: "running", burstable: false, tags: [["Name", "tf-web"]], default_vpc: true, disable_api_stop: false, disable_api_termination: true, shutdown_behavior: "stop" };
    expect(out.created).toMatchObject({ ...refreshed, user_data: "#!/bin/sh\necho v1\n" });
    expect(out.created.volume_tags.length).toBeGreaterThan(0);
    expect(out.created.volume_tags.every((t: string[][]) => JSON.stringify(t) === JSON.stringify([["Name", "tf-web"]]))).toBe(true);
    expect(out.updated).toMatchObject({ ...refreshed, user_data: "#!/bin/sh\necho v2\n" });
    expect(out.deleted).toBe("terminated");
  });
});
