/**
 * `orchestra machines deploy`: an operator deploys a machine from the command line, MAAS
 * style, through the same path RunInstances takes (allocation that honours the image's disk
 * and memory needs, then the deployment and metadata records). Real drivers here: `manual`
 * machines, which no engine powers in this test, so they stay `deploying` with their
 * deployment recorded; the one `fake` machine is in the test labelled as an API test.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deploymentOf } from "../../lib/deploy/deployment-rows.ts";
import { addImage } from "../../lib/images/image-store.ts";
import { Inventory } from "../../lib/inventory/inventory.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { orchestra } from "../helpers/cli.ts";
import { tempDataDir } from "../helpers/inventory.ts";

let dataDir: string;
let cleanup: () => void;
let imageId: string;
beforeEach(async () => {
  ({ dir: dataDir, cleanup } = tempDataDir());
  for (const [name, bytes] of [["kernel", 4096], ["initrd", 8192], ["root.img", 3 * 1024 * 1024]] as const) writeFileSync(join(dataDir, name), Buffer.alloc(bytes, 7));
  const image = await addImage(
    dataDir,
    { name: "debian-test", role: "os", release: "bookworm", architecture: "amd64", source: "test", minMemoryMib: 2048 },
    { kernel: { path: join(dataDir, "kernel") }, initrd: { path: join(dataDir, "initrd") }, root: { path: join(dataDir, "root.img") } },
  );
  imageId = image.id;
});
afterEach(() => cleanup());

const run = (...args: string[]) => orchestra(["--data-dir", dataDir, ...args]);
const MAIN = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

/** A ready `manual` machine: accepted, then commissioned as its commissioning report would (no machine boots here). */
async function readyManualMachine(hostname: string, mac: string, memoryMib: number): Promise<string> {
  const added = await run("machines", "add", "--mac", mac, "--hostname", hostname, "--cpus", "2", "--memory-mib", String(memoryMib), "--disk-gib", "20", "--power-type", "manual", "--json");
  expect(added.exitCode).toBe(0);
  const { systemId } = JSON.parse(added.stdout);
  expect((await run("machines", "accept", hostname)).exitCode).toBe(0);
  await withStore((inventory) => inventory.transition(systemId, "ready", "commissioned (stand-in for the commissioning report)"));
  return systemId;
}

async function withStore<T>(work: (inventory: Inventory) => Promise<T>): Promise<T> {
  const db = await openStore(dataDir);
  try {
    return await work(new Inventory(db));
  } finally {
    await db.close();
  }
}

/** Machines' states and the open instances: what a refused deploy must leave as it was. */
const snapshot = () => withStore(async (inventory) => ({ machines: (await inventory.listMachines()).map((m) => [m.hostname, m.status]), instances: (await inventory.listInstances()).length }));

describe("orchestra machines deploy", () => {
  it("deploys the named machine with the image, user-data and SSH key, recorded as RunInstances records them", async () => {
    const systemId = await readyManualMachine("big", "52:54:00:00:01:01", 4096);
    writeFileSync(join(dataDir, "init.sh"), "#!/bin/sh\necho hello from the cli\n");
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDGAuhuhsp8PGNC1zCMw3KcQmJ4wXcQ7bdO30HTsigXE operator@test";
    writeFileSync(join(dataDir, "key.pub"), `# the operator's key\n${key}\n`);
    const deploy = await run("machines", "deploy", "big", "--image", "debian-test", "--user-data", join(dataDir, "init.sh"), "--ssh-key", join(dataDir, "key.pub"), "--account", "alice");
    expect(deploy.stderr).toBe("");
    expect(deploy.exitCode).toBe(0);
    const [said, manual] = deploy.stdout.split("\n");
    expect(said).toMatch(new RegExp(`^deploying ${imageId} \\(debian-test\\) onto big \\(${systemId}\\) as (i-[0-9a-f]{17}) for alice$`));
    // A manual machine's instruction reaches the operator here, not only a server log.
    expect(manual).toMatch(/^big: .*power/i);
    const instanceId = /as (i-[0-9a-f]{17})/.exec(said!)![1]!;

    const shown = JSON.parse((await run("machines", "show", "big", "--json")).stdout);
    expect(shown).toMatchObject({ status: "deploying", deployment: { instanceId, imageId, phase: expect.any(String) } });
    expect((await run("instances", "list", "--account", "alice")).stdout).toMatch(new RegExp(`^${instanceId}\\s+alice\\s+big\\s`, "m"));
    // What cloud-init on the node will read, through the metadata service's own source.
    const metadata = await withStore(async (inventory) => {
      const deployment = await deploymentOf(inventory.db, systemId);
      return new StoreMetadataSource(inventory.db).findByNocloudSecret(deployment!.nocloudSecret!);
    });
    expect(metadata).toMatchObject({ instanceId, amiId: imageId, hostname: "big", publicKeys: [{ openssh: key }] });
    expect(Buffer.from(metadata!.userData!).toString()).toBe("#!/bin/sh\necho hello from the cli\n");
    // Both moves are in the machine's history, as RunInstances logs them (its row written once for the two).
    const events = await withStore((inventory) => inventory.events(systemId));
    expect(events.slice(-2).map((e) => [e.from, e.to, e.reason])).toEqual([
      ["ready", "allocated", `allocated to alice as ${instanceId}`],
      ["allocated", "deploying", `deploying debian-test for alice as ${instanceId} (orchestra machines deploy)`],
    ]);

    // --wait follows it; no engine runs here, so it is still deploying when the time is up.
    const wait = await run("machines", "wait", "big", "--status", "deployed", "--timeout-seconds", "0");
    expect([wait.exitCode, wait.stderr]).toEqual([1, "orchestra: error [WAIT_TIMED_OUT]: gave up after 0 s waiting for deployed: big is deploying"]);
  });

  it("never gives the image a machine with less memory than it needs: the cheapest that fits, else NO_CAPACITY naming the need", async () => {
    await readyManualMachine("small", "52:54:00:00:02:01", 1024);
    const before = await snapshot();
    const named = await run("machines", "deploy", "small", "--image", imageId);
    expect(named.exitCode).toBe(1);
    expect(named.stderr).toMatch(new RegExp(`^orchestra: error \\[NO_CAPACITY\\]: machine small \\(amd64, 2 cpus, 1.0G memory, 20.0G disk\\) cannot take the image: .*; image ${imageId} \\(debian-test\\) needs a disk of at least 1 GiB \\(3 MiB\\) and 2048 MiB of memory$`));
    const any = await run("machines", "deploy", "--image", imageId, "--json");
    expect(any.exitCode).toBe(1);
    expect(JSON.parse(any.stderr)).toMatchObject({ error: { code: "NO_CAPACITY", message: expect.stringContaining("2048 MiB of memory") } });
    expect(await snapshot()).toEqual(before);

    const big = await readyManualMachine("big", "52:54:00:00:02:02", 4096);
    const chosen = JSON.parse((await run("machines", "deploy", "--image", imageId, "--json")).stdout);
    expect(chosen.machine).toMatchObject({ systemId: big, status: "deploying" });
    expect(chosen.instance.account).toBe("admin");
  });

  it("refuses bad input with a stable code and changes nothing", async () => {
    await readyManualMachine("big", "52:54:00:00:03:01", 4096);
    await run("machines", "add", "--mac", "52:54:00:00:03:02", "--hostname", "fresh", "--power-type", "manual");
    writeFileSync(join(dataDir, "huge"), Buffer.alloc(16 * 1024 + 1, 0x61));
    writeFileSync(join(dataDir, "bad.pub"), "ssh-rsa not-a-key\n");
    const before = await snapshot();
    const cases: Array<[string[], string, RegExp]> = [
      [["big"], "MISSING_ARGUMENT", /--image/],
      [["big", "--image", "ami-00000000000000000"], "IMAGE_NOT_FOUND", /no image "ami-00000000000000000"/],
      [["big", "--image", imageId, "--user-data", join(dataDir, "huge")], "INVALID_ARGUMENT", /16385 bytes; user data is limited to 16384 bytes/],
      [["big", "--image", imageId, "--user-data", join(dataDir, "missing")], "INVALID_ARGUMENT", /cannot read --user-data .*ENOENT/],
      [["big", "--image", imageId, "--ssh-key", join(dataDir, "bad.pub")], "INVALID_ARGUMENT", /--ssh-key .*bad.pub", key 1: .*public key/],
      [["fresh", "--image", imageId], "ILLEGAL_TRANSITION", /machine fresh \([a-z0-9]{6}\) is new; it cannot move to allocated/],
      [["nosuch", "--image", imageId], "MACHINE_NOT_FOUND", /nosuch/],
      // The built-in catalogue names releases only: a real machine cannot be given one.
      [["big", "--image", "ubuntu/images/ubuntu-noble-24.04-amd64-server"], "IMAGE_NOT_DEPLOYABLE", /has no disk image to write/],
    ];
    for (const [args, code, message] of cases) {
      const human = await run("machines", "deploy", ...args);
      expect([human.exitCode, human.stderr], args.join(" ")).toEqual([1, expect.stringMatching(new RegExp(`^orchestra: error \\[${code}\\]: `))]);
      expect(human.stderr, args.join(" ")).toMatch(message);
      const json = await run("machines", "deploy", ...args, "--json");
      expect(JSON.parse(json.stderr).error.code, args.join(" ")).toBe(code);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("shows the machine's progress on a terminal while it waits", async () => {
    await readyManualMachine("big", "52:54:00:00:05:01", 4096);
    // A real terminal for the CLI: Python's pty module runs it on a pseudo-terminal (argv, no shell).
    const tty = await execa("python3", ["-c", "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)", process.execPath, MAIN, "--data-dir", dataDir, "machines", "deploy", "big", "--image", imageId, "--wait", "--timeout-seconds", "1", "--interval-ms", "100"], { reject: false, stdin: "ignore" });
    const lines = String(tty.stdout).split(/\r?\n/);
    expect(lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d big: deploying \(deploying debian-test for admin as i-[0-9a-f]{17} \(orchestra machines deploy\)\); planned$/));
    expect(lines).toContainEqual(expect.stringMatching(/WAIT_TIMED_OUT.*big is deploying/));
    // Not on a pipe: there, only the result and the error.
    const piped = await run("machines", "wait", "big", "--status", "deployed", "--timeout-seconds", "0");
    expect(piped.stderr).not.toMatch(/\d\d:\d\d:\d\d/);
  });

  it("explains itself in --help", async () => {
    const help = await run("machines", "deploy", "--help");
    expect(help.exitCode).toBe(0);
    for (const option of ["--image", "--user-data", "--ssh-key", "--account", "--wait", "--json"]) expect(help.stdout).toContain(option);
  });

  it("API test with the fake power type (TEST ONLY): --wait returns once the machine is deployed", async () => {
    expect((await run("machines", "add", "--mac", "52:54:00:00:04:01", "--hostname", "f1", "--cpus", "2", "--memory-mib", "4096", "--disk-gib", "20", "--power-type", "fake")).exitCode).toBe(0);
    expect((await run("machines", "accept", "f1")).exitCode).toBe(0);
    const human = await run("machines", "deploy", "f1", "--image", imageId, "--wait");
    expect(human.stdout.split("\n")).toEqual([expect.stringMatching(/^deploying .* onto f1 .*TEST ONLY, deployed at once$/), "f1: deployed"]);
    expect((await run("machines", "release", "f1")).exitCode).toBe(0);
    // A second build of the same name: the name now means the newer image.
    const newer = await addImage(dataDir, { name: "debian-test", role: "os", release: "bookworm", architecture: "amd64", source: "test" }, { kernel: { path: join(dataDir, "kernel") }, initrd: { path: join(dataDir, "initrd") }, root: { path: join(dataDir, "root.img") } });
    const json = JSON.parse((await run("machines", "deploy", "f1", "--image", "debian-test", "--wait", "--json")).stdout);
    expect(json).toMatchObject({ image: { imageId: newer.id, name: "debian-test" }, machine: { hostname: "f1", status: "deployed" }, instance: { instanceId: expect.stringMatching(/^i-/) } });
  });
});
