/**
 * End to end, a managed node (docs/managed-nodes.md), on the lab: `orchestra serve` runs with
 * --node-syslog and --node-ssh-keys; rsyslog (with rsyslog-gnutls) runs in the lab's
 * namespace, configured by syncSyslogPeers (the renderer `serve --syslog-conf` uses) from the
 * store. `aws ec2 run-instances` deploys Orchestra's OS image to a VM; its syslog lines arrive
 * in its per-host file over mutual TLS with its own certificate, and it accepts an SSH login
 * with the site's key. After terminate, its certificate is refused and its puppet challenge
 * signs nothing.
 *
 * Not covered here (no puppetserver package on this machine, no local apt repository
 * behind squid, no route from the lab's namespace to a GitHub stand-in on the host's
 * loopback): the puppet agent run, apt through squid, and a gh: key; those are proven by the
 * unit tests (tests/puppet, tests/github, tests/cli/serve-managed.test.ts).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { execa, type ResultPromise } from "execa";
import { load } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import type { MachineView } from "../../lib/inventory/machine-view.ts";
import { labStatus, type LabStatus } from "../../lib/lab/lab-status.ts";
import { labUp } from "../../lib/lab/lab-up.ts";
import { syncSyslogPeers } from "../../lib/managed/syslog-peers.ts";
import { CHALLENGE_PASSWORD_OID, NODE_CERT_PATH, NODE_KEY_PATH } from "../../lib/metadata/vendor-data.ts";
import { newChallenge } from "../../lib/pki/node-credentials.ts";
import { loadOrCreateSiteCa } from "../../lib/pki/site-ca.ts";
import { decideAutosign } from "../../lib/puppet/autosign-policy.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { consoleTails, labTestDataDir, orchestraCli, waitForMachines } from "../helpers/lab.ts";

const run = promisify(execFile);
let status: LabStatus | undefined;
const dataDir = labTestDataDir("orchestra-e2e-managed-", () => status, { timeoutMs: 120_000 });
let rsyslog: ResultPromise | undefined;
let db: SqlDatabase | undefined;
afterAll(async () => {
  if (rsyslog?.pid) {
    rsyslog.kill("SIGTERM");
    await rsyslog;
  }
  await db?.close();
});

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}\n${consoleTails(status)}\n--- serve log:\n${readFileSync(join(dataDir, "lab", "serve.log"), "utf8").slice(-3000)}`);
}

async function machine(systemId: string): Promise<MachineView> {
  const show = await orchestraCli(dataDir, "machines", "show", systemId, "--json");
  expect(show.exitCode, show.all).toBe(0);
  return JSON.parse(show.stdout) as MachineView;
}

describe("a managed node on the lab", () => {
  it("logs over mutual TLS with its own certificate and takes the site's SSH key; after terminate its certificate and challenge are refused", async () => {
    expect(process.getuid?.(), "the lab needs root").toBe(0);
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "site@orchestra", "-f", join(dataDir, "id_site")]);
    const siteKey = readFileSync(join(dataDir, "id_site.pub"), "utf8").trim();

    await labUp({ dataDir, nodes: 1, firmware: ["bios"], memoryMib: 1024, diskGib: 4, serveArgs: ["--node-syslog", "192.0.2.1:6514", "--node-ssh-keys", siteKey] });
    status = await labStatus(dataDir);
    const namespace = status!.namespace;
    mark("lab up");

    // rsyslog in the lab's namespace, on the server's address, from the store: the site CA serve made at start.
    db = await openStore(dataDir);
    const ca = await loadOrCreateSiteCa(dataDir);
    const logDir = join(dataDir, "hosts");
    mkdirSync(logDir);
    mkdirSync(join(dataDir, "rsyslog-work"));
    const confFile = join(dataDir, "rsyslog.conf");
    const restart = async () => {
      if (rsyslog?.pid) {
        rsyslog.kill("SIGTERM");
        await rsyslog;
      }
      rsyslog = execa("ip", ["netns", "exec", namespace, "rsyslogd", "-n", "-f", confFile, "-i", join(dataDir, "rsyslog.pid")], { reject: false, all: true });
      await sleep(1500);
    };
    const peers = { db, ca, dataDir, address: "192.0.2.1", listen: "192.0.2.1", port: 6514, confFile, logDir, workDirectory: join(dataDir, "rsyslog-work"), restart };
    await syncSyslogPeers(peers);

    const [built, enlisted] = await Promise.all([orchestraCli(dataDir, "images", "build-os", "--json"), waitForMachines(dataDir, 1, 240_000)]);
    expect(built.exitCode, built.all).toBe(0);
    const image = JSON.parse(built.stdout) as { id: string };
    const systemId = enlisted[0]!.systemId;
    expect((await orchestraCli(dataDir, "machines", "accept", systemId)).exitCode).toBe(0);
    await waitFor("commissioning", 300_000, async () => ((await machine(systemId)).status === "ready" ? true : undefined));
    mark("commissioned");

    const key = JSON.parse((await orchestraCli(dataDir, "credentials", "create", "--account", "e2e", "--json")).stdout) as { accessKeyId: string; secretAccessKey: string };
    const env = {
      PATH: "/usr/bin:/bin", HOME: dataDir, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: "orchestra",
      AWS_CONFIG_FILE: join(dataDir, "no-aws-config"), AWS_SHARED_CREDENTIALS_FILE: join(dataDir, "no-aws-credentials"), AWS_PAGER: "", AWS_MAX_ATTEMPTS: "1",
    };
    const aws = async (...args: string[]) => JSON.parse((await run("/usr/bin/aws", ["ec2", ...args, "--endpoint-url", status!.apiUrl!, "--output", "json"], { env, encoding: "utf8" })).stdout || "{}");
    const proof = randomBytes(8).toString("hex");
    const userData = join(dataDir, "user-data.sh");
    // The user's own user-data still runs; its line travels through the node's rsyslog to the site.
    writeFileSync(userData, ["#!/bin/sh", `logger -t e2e "ORCHESTRA-SYSLOG ${proof}"`, `echo "ORCHESTRA-PROOF ${proof}" > /dev/console`, ""].join("\n"));
    const launched = await aws("run-instances", "--image-id", image.id, "--instance-type", "t2.micro", "--count", "1", "--user-data", `file://${userData}`);
    const instanceId = launched.Instances[0].InstanceId as string;
    // The instance is open now: it joins rsyslog's permitted peers.
    expect(await syncSyslogPeers(peers)).toBe(true);
    expect(readFileSync(confFile, "utf8")).toContain(`PermittedPeer=["${instanceId}"]`);
    mark("run-instances answered");

    const running = await waitFor("the instance to be running", 900_000, async () => {
      const described = await aws("describe-instances", "--instance-ids", instanceId);
      const instance = described.Reservations[0].Instances[0];
      return instance.State.Name === "running" ? instance : undefined;
    }, 5000);
    const address = running.PrivateIpAddress as string;
    mark("running");
    const hostname = (await machine(systemId)).hostname;
    const hostLog = join(logDir, `${hostname}.log`);
    const logged = await waitFor("the node's syslog line over TLS", 300_000, async () => (existsSync(hostLog) && readFileSync(hostLog, "utf8").includes(`ORCHESTRA-SYSLOG ${proof}`) ? readFileSync(hostLog, "utf8") : undefined), 2000);
    expect(logged).toContain(`ORCHESTRA-SYSLOG ${proof}`);
    mark("syslog line arrived over mutual TLS");

    const ssh = ["netns", "exec", namespace, "ssh", "-i", join(dataDir, "id_site"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", `debian@${address}`];
    const login = await waitFor("an SSH login with the site's key", 180_000, async () => {
      const r = await execa("ip", [...ssh, "cat /etc/orchestra/node.pem; id -un"], { reject: false });
      return r.exitCode === 0 ? r.stdout : undefined;
    }, 5000);
    expect(login.trim().endsWith("debian")).toBe(true);
    // The node's credentials as it was handed them: its vendor-data (sealed at rest in the store).
    const stored = await db.get<{ vendor_data: string }>("SELECT vendor_data FROM instance_metadata WHERE instance_id = $1", [instanceId]);
    const handed = load(db.secrets.open(stored!.vendor_data, `instance:${instanceId}:vendor-data`)) as { write_files: { path: string; content: string }[]; puppet?: { csr_attributes: { custom_attributes: Record<string, string> } } };
    const fileContent = (path: string) => handed.write_files.find((f) => f.path === path)!.content;
    // This lab runs no puppetserver, so the node's vendor-data has no puppet part and the node
    // never saw its challenge (the store keeps only its hash): after terminate, no challenge at
    // all may sign for the instance. tests/puppet covers the node's own challenge after the end.
    const challenge = handed.puppet?.csr_attributes.custom_attributes[CHALLENGE_PASSWORD_OID] ?? newChallenge();
    const row = { cert_pem: fileContent(NODE_CERT_PATH), key_pem: fileContent(NODE_KEY_PATH), challenge };
    // The node holds the certificate minted for its instance.
    expect(login).toContain(row!.cert_pem.trim().split("\n")[1]);
    mark("SSH login with the site's key");

    // The node's own credentials from the namespace, before and after terminate.
    writeFileSync(join(dataDir, "node.pem"), row!.cert_pem);
    writeFileSync(join(dataDir, "node.key"), row!.key_pem, { mode: 0o600 });
    const sendAsNode = (text: string) => execa("ip", ["netns", "exec", namespace, "openssl", "s_client", "-quiet", "-connect", "192.0.2.1:6514", "-CAfile", join(dataDir, "pki", "ca.pem"), "-cert", join(dataDir, "node.pem"), "-key", join(dataDir, "node.key")], { input: `<14>1 2026-01-01T00:00:00Z ${hostname} e2e - - - ${text}\n`, reject: false, timeout: 10_000 });
    await sendAsNode(`BEFORE-TERMINATE ${proof}`);
    await waitFor("the node certificate's line before terminate", 30_000, async () => (readFileSync(hostLog, "utf8").includes(`BEFORE-TERMINATE ${proof}`) ? true : undefined), 1000);

    await aws("terminate-instances", "--instance-ids", instanceId);
    // The instance ends (and its credentials with it) once the machine is released: powered off and erased.
    await waitFor("the instance to be terminated", 600_000, async () => {
      const described = await aws("describe-instances", "--instance-ids", instanceId);
      return described.Reservations[0].Instances[0].State.Name === "terminated" ? true : undefined;
    }, 5000);
    mark("terminated");
    expect(await syncSyslogPeers(peers)).toBe(true);
    expect(readFileSync(confFile, "utf8")).not.toContain(instanceId);
    await sendAsNode(`AFTER-TERMINATE ${proof}`);
    await sleep(5000);
    expect(readFileSync(hostLog, "utf8")).not.toContain(`AFTER-TERMINATE ${proof}`);
    // The challenge it never spent signs nothing now.
    const csrConf = join(dataDir, "csr.cnf");
    writeFileSync(csrConf, ["[req]", "prompt = no", "distinguished_name = dn", "attributes = attrs", "[dn]", `CN = ${instanceId}`, "[attrs]", `challengePassword = ${row!.challenge}`, ""].join("\n"));
    const csr = (await execa("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "/dev/null", "-config", csrConf])).stdout;
    expect(await decideAutosign(db, instanceId, csr)).toEqual({ sign: false, reason: "instance-ended" });
    mark("after terminate: certificate refused, challenge refused");
    console.log(`lab managed-node e2e timeline:\n  ${marks.join("\n  ")}`);
  }, 1_800_000);
});
