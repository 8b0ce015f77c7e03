/**
 * End to end, the whole promise: two lab VMs nobody registered, each behind its own IPMI BMC
 * (ipmi_sim), enlist themselves; the operator accepts them and Orchestra commissions them
 * through their BMCs; one `aws ec2 run-instances --count 2` (Debian's AWS CLI) with a
 * shell-script user-data and an imported key pair deploys Orchestra's own Debian cloud image
 * (built by `orchestra images build-os`) to both disks at once, with fan-out on (`lab up
 * --fanout`, issue 17): both VMs join the image's BitTorrent swarm and the server's seeder
 * serves each; halfway the tracker is killed by its pid, and both still finish (from their
 * peers, or over HTTP), verify the image, boot it from disk, and real cloud-init runs the
 * user-data, whose proof the test reads back with `aws ec2 get-console-output`; phone-home
 * makes each instance `running` with a private IP. `aws ec2 terminate-instances` powers the
 * VMs off through ipmi_sim, the ramdisk erases their disks (the lab's server erases on
 * release), and the machines are `ready` again. Then one VM through the MAAS door: Juju's own
 * MAAS client library (gomaasapi) allocates it, deploys the image with a user-data script
 * (the tracker still down, the node falls back to HTTP), sees it Deployed with its address,
 * and releases it back to Ready (erased again). One lab boot serves it all (CI time: each lab
 * boot costs minutes), and the lab leaves nothing behind.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { consoleLogPath } from "../../lib/deploy/console-log.ts";
import type { LabStatus } from "../../lib/lab/lab-status.ts";
import { labDeployFixture } from "../helpers/lab-deploy-fixture.ts";
import { consoleTails, labTestDataDir, labVmProcess, orchestraCli } from "../helpers/lab.ts";
import { fanoutLogEvidence, fanoutTracker } from "../helpers/lab-fanout.ts";
import { gomaasapiClient, runGomaasapiClient } from "../maas/helpers/gomaasapi-client.ts";

const run = promisify(execFile);
let status: LabStatus | undefined;
const dataDir = labTestDataDir("orchestra-e2e-deploy-", () => status, { timeoutMs: 120_000 });

const { waitFor, machine, commissionedVms, ec2Client } = labDeployFixture(dataDir, () => status);
/** Two VMs deploy the same image at once. */
const NODES = 2;
/**
 * More than the lab's default 1 GiB: with fan-out the deploy ramdisk holds the whole
 * compressed image (about 356 MB for Debian) in memory while it seeds it to its peers.
 */
const VM_MEMORY_MIB = 1536;

describe("the lab, end to end", () => {
  it("run-instances --count 2 deploys a real Debian with cloud-init to two VMs behind BMCs at once, by fan-out that survives its tracker's death; terminate powers them off and returns them; gomaasapi does the same through the MAAS API", async () => {
    expect(process.getuid?.(), "the lab needs root (network namespaces, tap devices)").toBe(0);
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const up = await orchestraCli(dataDir, "lab", "up", "--nodes", String(NODES), "--memory-mib", String(VM_MEMORY_MIB), "--firmware", "bios", "--erase-disks", "quick", "--fanout", "--json");
    expect(up.exitCode, up.all).toBe(0);
    status = JSON.parse(up.stdout) as LabStatus;
    expect(status.fanout).toBe(true);
    // serve --fanout started its tracker as a process of its own, which answers on the lab's network.
    const tracker = await fanoutTracker(dataDir, status);
    expect(await tracker.answers(), "the tracker answers before any deployment").toBe(true);
    mark("lab up");

    // The OS image builds (or comes from the cache) while the VMs enlist; then they are commissioned through their BMCs.
    const { image, machines: enlisted } = await commissionedVms(NODES);
    expect(image).toMatchObject({ role: "os", rootPartition: 2 });
    const systemIds = enlisted.map((m) => m.systemId);
    for (const m of enlisted) expect(m.power.type).toBe("ipmi");
    mark("enlisted (and OS image ready), commissioned through the BMCs");

    // An EC2 client with its own key pair and a shell-script user-data.
    const aws = await ec2Client();
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "e2e@orchestra", "-f", join(dataDir, "id_e2e")]);
    const publicKey = readFileSync(join(dataDir, "id_e2e.pub"), "utf8").trim();
    await aws("import-key-pair", "--key-name", "e2e", "--public-key-material", `fileb://${join(dataDir, "id_e2e.pub")}`);

    const proof = randomBytes(8).toString("hex");
    const userData = join(dataDir, "user-data.sh");
    // The script writes to the console (the serial log Orchestra captures) what only the node can know.
    writeFileSync(
      userData,
      [
        "#!/bin/sh",
        `echo "ORCHESTRA-PROOF ${proof} ran on $(hostname) as $(id -un)" > /dev/console`,
        "grep -o 'ssh-ed25519 [A-Za-z0-9+/=]*' /run/cloud-init/instance-data.json | head -n 1 | sed 's/^/ORCHESTRA-KEY /' > /dev/console",
        "",
      ].join("\n"),
    );
    // Both VMs deploy the same image at once: one request, one reservation.
    const launched = await aws("run-instances", "--image-id", image.id, "--instance-type", "t2.micro", "--count", String(NODES), "--key-name", "e2e", "--user-data", `file://${userData}`);
    const instanceIds = (launched.Instances as { InstanceId: string }[]).map((i) => i.InstanceId);
    expect(instanceIds).toHaveLength(NODES);
    for (const instance of launched.Instances) expect(instance.State.Name).toBe("pending");
    mark("run-instances answered");

    const vmOf = new Map(await Promise.all(systemIds.map(async (id) => [id, status!.vms.find((vm) => vm.mac === (enlisted.find((m) => m.systemId === id)!.interfaces[0]!.mac))!] as const)));
    const serveLog = () => readFileSync(join(dataDir, "lab", "serve.log"), "utf8");
    const consoleOf = (systemId: string) => readFileSync(vmOf.get(systemId)!.consoleLog, "utf8");
    const downloaded = (text: string) => /orchestra-deploy: (fan-out: image fetched from peers|fan-out: falling back to HTTP|image written and verified)/.test(text);
    const fanoutDeployFailed = async () => {
      for (const systemId of systemIds) {
        const m = await machine(systemId);
        expect(m.status, m.statusMessage).not.toBe("failed_deployment");
      }
    };

    // Halfway: both nodes have joined the image's swarm (the tracker admitted their deployment
    // tokens) and the server's seeder has sent pieces; then the tracker is killed by its pid.
    const halfway = await waitFor("both nodes to join the swarm and the server's seeder to serve them", 1_800_000, async () => {
      await fanoutDeployFailed();
      const evidence = fanoutLogEvidence(serveLog());
      expect(evidence.refused, "the tracker refused none of Orchestra's own nodes").toEqual([]);
      return systemIds.every((id) => evidence.joined.has(id)) && evidence.servedByIp.size > 0 ? evidence : undefined;
    }, 1000);
    const stillDownloading = systemIds.filter((id) => !downloaded(consoleOf(id)));
    await tracker.kill();
    mark(`tracker killed with both nodes in the swarm, ${stillDownloading.length} of ${NODES} still downloading`);
    expect(stillDownloading.length, "the tracker died while downloads were in progress").toBeGreaterThan(0);
    expect(await tracker.running(), `the tracker (pid ${tracker.pid}) is gone`).toBe(false);
    expect(await tracker.answers(), "announces fail: nothing answers on the tracker's address").toBe(false);

    const running = await waitFor("both instances to be running", 1_800_000, async () => {
      await fanoutDeployFailed();
      const described = await aws("describe-instances", "--instance-ids", ...instanceIds);
      const instances = (described.Reservations as { Instances: any[] }[]).flatMap((r) => r.Instances);
      return instances.length === NODES && instances.every((i) => i.State.Name === "running") ? instances : undefined;
    }, 5000);
    mark("running");
    for (const instance of running) {
      expect(instance.PrivateIpAddress).toMatch(/^192\.0\.2\.(1\d\d|200)$/);
      expect(instance.KeyName).toBe("e2e");
    }
    expect(new Set(running.map((i) => i.PrivateIpAddress)).size).toBe(NODES);

    // Fan-out, as the server saw it: the tracker exited (and stayed down: it is not restarted),
    // and its seeder sent pieces of the image to each node.
    const after = fanoutLogEvidence(serveLog());
    expect(after.trackerExited).toBe(true);
    expect(await tracker.answers()).toBe(false);
    const imageBytes = Number(/orchestra-deploy: deploying \S+ \(\w+, (\d+) bytes\)/.exec(consoleOf(systemIds[0]!))?.[1]);
    const fetchedFromPeers: string[] = [];
    for (const systemId of systemIds) {
      const ip = halfway.joined.get(systemId)!;
      expect(after.servedByIp.get(ip) ?? 0, `the server's seeder served pieces to ${systemId} at ${ip}`).toBeGreaterThan(0);
      // Each node: fetched by BitTorrent, or fell back to HTTP; either way the image verified (SHA-256) and written.
      const text = consoleOf(systemId);
      expect(text).toContain("orchestra-deploy: fan-out: fetching");
      expect(text).toMatch(/orchestra-deploy: (fan-out: image fetched from peers and verified|fan-out: falling back to HTTP)/);
      expect(text).toMatch(/orchestra-deploy: image written and verified \(SHA-256 [0-9a-f]{64}\)/);
      if (text.includes("fan-out: image fetched from peers")) fetchedFromPeers.push(systemId);
    }
    const servedTotal = [...after.servedByIp.values()].reduce((a, b) => a + b, 0);
    // What the nodes that finished from peers got and the server did not send came from the other node.
    const nodeToNode = Math.max(0, fetchedFromPeers.length * imageBytes - servedTotal);
    console.log(
      `fan-out: image ${imageBytes} bytes; the server's seeder sent ${[...after.servedByIp].map(([ip, bytes]) => `${bytes} to ${ip}`).join(", ")}; ` +
        `${fetchedFromPeers.length} of ${NODES} finished from peers after the tracker died (the others over HTTP); at least ${nodeToNode} bytes went node to node`,
    );
    for (const systemId of systemIds) console.log(`${systemId} console (fan-out lines):\n  ${consoleOf(systemId).split("\n").filter((l) => l.includes("orchestra-deploy: fan-out") || l.includes("image written and verified")).join("\n  ")}`);

    // The user-data ran on each node under real cloud-init, and the key it was given is ours.
    for (const instanceId of instanceIds) {
      const output = await waitFor(`the user-data's proof on ${instanceId}'s console`, 120_000, async () => {
        const console = await aws("get-console-output", "--instance-id", instanceId);
        const text = String(console.Output ?? "");
        return text.includes(`ORCHESTRA-PROOF ${proof}`) && text.includes("ORCHESTRA-KEY") ? text : undefined;
      });
      expect(output).toMatch(new RegExp(`ORCHESTRA-PROOF ${proof} ran on \\S+ as root`));
      expect(output).toContain(`ORCHESTRA-KEY ${publicKey.split(" ").slice(0, 2).join(" ")}`);
      expect(output).toMatch(/Cloud-init v\. \d+/);
    }

    const terminated = await aws("terminate-instances", "--instance-ids", ...instanceIds);
    for (const t of terminated.TerminatingInstances) expect(t.CurrentState.Name).toBe("shutting-down");
    // Released: powered off through the BMC, then its disk erased by the ramdisk (the lab's
    // server runs with --erase-disks quick), and only then back in the pool.
    const ready = await waitFor("both machines to be erased and ready again", 300_000 * NODES, async () => {
      const seen = await Promise.all(systemIds.map((systemId) => machine(systemId)));
      for (const m of seen) expect(m.status, m.statusMessage).not.toMatch(/^failed_/);
      return seen.every((m) => m.status === "ready") ? seen : undefined;
    });
    mark("terminated: powered off, disks erased, ready");
    for (const m of ready) {
      expect(m.statusMessage).toBe("disks erased (quick): vda");
      const moves = (JSON.parse((await orchestraCli(dataDir, "machines", "show", m.systemId, "--json")).stdout) as { events: { to: string }[] }).events.map((e) => e.to);
      expect(moves.slice(-3)).toEqual(["releasing", "disk_erasing", "ready"]);
    }
    for (const vm of status.vms) {
      // The deployed image's MBR and boot partition start are gone from the VM's disk.
      const start = Buffer.alloc(2 * 1024 * 1024, 0xee);
      const fd = openSync(join(dataDir, "lab", `${vm.name}.disk`), "r");
      readSync(fd, start, 0, start.length, 0);
      closeSync(fd);
      expect(start.every((b) => b === 0), `${vm.name}'s disk start is zero`).toBe(true);
      // Powered off (the erase ramdisk powers itself off after its report): qemu is gone and the BMC says off.
      await waitFor(`${vm.name} to power off after its erasure`, 60_000, async () => ((await labVmProcess(dataDir, vm.name)) === undefined ? true : undefined), 1000);
    }
    const labAfter = JSON.parse((await orchestraCli(dataDir, "lab", "status", "--json")).stdout) as LabStatus;
    expect(labAfter.vms.map((vm) => vm.power)).toEqual(status.vms.map(() => "off"));
    const described = await aws("describe-instances", "--instance-ids", ...instanceIds);
    expect((described.Reservations as { Instances: any[] }[]).flatMap((r) => r.Instances).map((i) => i.State.Name)).toEqual(instanceIds.map(() => "terminated"));

    // One VM again, through the other door: Juju's own MAAS client library (gomaasapi)
    // allocates one of the two, deploys the same image with a user-data script, waits for
    // Deployed, reads its address and releases it (erased again) back to Ready. One lab boot
    // serves both doors.
    const client = await gomaasapiClient();
    expect(client).toBeTruthy();
    const maasKey = JSON.parse((await orchestraCli(dataDir, "credentials", "create", "--account", "juju", "--maas", "--json")).stdout) as { apiKey: string };
    const maasProof = randomBytes(8).toString("hex");
    const consoleBefore = new Map(systemIds.map((id) => [id, consoleOf(id).length]));
    const maasReport = await runGomaasapiClient(
      {
        MAAS_URL: new URL("/MAAS/", status!.apiUrl!).toString(),
        MAAS_KEY: maasKey.apiKey,
        MAAS_SERIES: image.release ?? "bookworm",
        MAAS_TIMEOUT_SECONDS: "1500",
        MAAS_USER_DATA: `#!/bin/sh\necho "ORCHESTRA-MAAS-PROOF ${maasProof} ran on $(hostname)" > /dev/console\n`,
      },
      3_000_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${consoleTails(status)}\n--- serve log:\n${readFileSync(join(dataDir, "lab", "serve.log"), "utf8").slice(-3000)}`);
    });
    mark("gomaasapi: allocated, deployed, released, ready");
    const systemId = maasReport.allocated.system_id;
    expect(systemIds).toContain(systemId);
    expect(maasReport.deployed).toMatchObject({ status: "Deployed", osystem: "debian" });
    expect(maasReport.deployed.ip_addresses[0]).toMatch(/^192\.0\.2\.(1\d\d|200)$/);
    expect(maasReport.deployed.links.map((l) => l.ip)).toContain(maasReport.deployed.ip_addresses[0]);
    expect(maasReport.statuses_seen.at(-1)).toBe("Deployed");
    expect(maasReport.statuses_seen).toContain("Deploying");
    expect(maasReport.status_after_release).toBe("Ready");
    // Deployed comes with cloud-init's phone-home, after the user-data ran: its proof is in the console log.
    const bootMac = (await machine(systemId)).interfaces[0]!.mac;
    expect(readFileSync(consoleLogPath(dataDir, bootMac), "utf8")).toMatch(new RegExp(`ORCHESTRA-MAAS-PROOF ${maasProof} ran on \\S+`));
    // The tracker stayed down: this deployment's plan still offered the torrent, its swarm
    // answered nothing, and the node fell back to HTTP; the image verified all the same.
    const maasDeployConsole = consoleOf(systemId).slice(consoleBefore.get(systemId));
    expect(maasDeployConsole).toMatch(/orchestra-deploy: fan-out: falling back to HTTP/);
    expect(maasDeployConsole).toMatch(/orchestra-deploy: image written and verified \(SHA-256 [0-9a-f]{64}\)/);
    console.log(`lab deploy e2e timeline:\n  ${marks.join("\n  ")}`);
  }, 5_400_000); // three deployments and three erasures on two VMs: without KVM on a shared 2-core host, each takes minutes (a bound, not a timing)
});
