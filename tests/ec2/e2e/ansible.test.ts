/**
 * Debian's Ansible (package `ansible`, with its amazon.aws collection, run with Debian's
 * /usr/bin/python3 and python3-boto3) drives a real `orchestra serve` with fake machines:
 * an ec2_instance play with exact_count, tags and wait, run twice (the second run changes
 * nothing), then state=absent.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const run = promisify(execFile);
const PLAY = resolve(import.meta.dirname, "fixtures/ec2-instance-play.yml");
const IMAGE = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;

let orchestra: OrchestraProcess;
let key: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  orchestra = await startOrchestra();
  await orchestra.addMachines(3);
  key = await orchestra.createCredentials("ansible");
});
afterAll(() => orchestra?.stop());

interface PlayResult {
  changed: number;
  failures: number;
  web: { instance_ids?: string[]; instances?: { instance_id: string; state: { name: string }; tags: Record<string, string> }[]; changed: boolean; msg?: string };
}

/** Run the play with Ansible's JSON callback and answer the host's stats and the module's result. */
async function play(wanted: "present" | "absent"): Promise<PlayResult> {
  const extra = { endpoint: orchestra.endpoint, region: orchestra.region, access_key: key.accessKeyId, secret_key: key.secretAccessKey, image: IMAGE, wanted, ansible_python_interpreter: "/usr/bin/python3" };
  const { stdout } = await run("/usr/bin/ansible-playbook", ["-i", "localhost,", "-e", JSON.stringify(extra), PLAY], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    env: {
      PATH: "/usr/bin:/bin",
      HOME: orchestra.dataDir,
      ANSIBLE_STDOUT_CALLBACK: "json",
      ANSIBLE_LOCAL_TEMP: `${orchestra.dataDir}/ansible-tmp`,
      ANSIBLE_NOCOLOR: "1",
      // Only loopback: were the endpoint ignored, boto3 would fail here instead of reaching AWS.
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      NO_PROXY: "127.0.0.1",
    },
  }).catch((error: { stdout?: string; message: string }) => {
    throw new Error(`ansible-playbook failed: ${error.message}\n${error.stdout ?? ""}`);
  });
  const report = JSON.parse(stdout);
  const stats = report.stats.localhost;
  const task = report.plays[0].tasks.find((t: { task: { name: string } }) => t.task.name === "two web servers");
  return { changed: stats.changed, failures: stats.failures, web: task.hosts.localhost };
}

describe("Ansible's amazon.aws.ec2_instance", () => {
  it("comes from Debian's ansible package with the amazon.aws collection", async () => {
    const { stdout } = await run("/usr/bin/ansible-galaxy", ["collection", "list", "amazon.aws"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: orchestra.dataDir } });
    expect(stdout).toMatch(/amazon\.aws\s+\d+\.\d+\.\d+/);
  });

  it("launches an exact count with tags and waits, changes nothing the second time, then tears down", async () => {
    const first = await play("present");
    expect(first.failures).toBe(0);
    expect(first.changed).toBe(1);
    const ids = first.web.instance_ids!;
    expect(ids).toHaveLength(2);
    expect(first.web.instances!.map((i) => i.state.name)).toEqual(["running", "running"]);
    expect(first.web.instances!.map((i) => i.tags)).toEqual(ids.map(() => ({ Name: "web", role: "web", owner: "ansible" })));

    const second = await play("present");
    expect(second.failures).toBe(0);
    expect(second.changed).toBe(0);
    expect([...second.web.instance_ids!].sort()).toEqual([...ids].sort());

    const gone = await play("absent");
    expect(gone.failures).toBe(0);
    expect(gone.changed).toBe(1);
    expect(gone.web.instances!.map((i) => i.state.name)).toEqual(["terminated", "terminated"]);
    // Nothing of this account is left running.
    const { stdout } = await orchestra.cli(["machines", "list", "--json"]);
    expect((JSON.parse(stdout) as { status: string }[]).filter((m) => m.status !== "ready")).toEqual([]);
  });
});
