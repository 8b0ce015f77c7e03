/**
 * End to end, a managed node (docs/managed-nodes.md), on the lab. `orchestra serve` runs with
 * every --node-* part and syncs puppet environments from a GitHub stand-in; the site's
 * services run for real in the lab's namespace, configured by the renderers the charm uses
 * (tests/helpers/lab-site-services.ts): rsyslog with rsyslog-gnutls (syncSyslogPeers, what
 * `serve --syslog-conf` runs), squid as the apt proxy (renderSquidConf) in front of a local apt
 * repository, and Debian's puppetserver whose `autosign` is Orchestra's policy executable
 * (renderAutosignScript). The GitHub STAND-IN (tests/helpers/github-stand-in.ts: no internet
 * here) reaches serve through a relay in the namespace; serve's Octokit is pointed at it with
 * --github-api-url, the code path GitHub Enterprise uses.
 *
 * `aws ec2 run-instances` deploys Orchestra's OS image to a VM. Its syslog lines arrive in its
 * per-host file over mutual TLS with its own certificate; its puppet agent's CSR is signed by
 * the policy and its run applies the manifest of the environment synced from the stand-in's
 * `production` branch; its apt installs a package from the local repository, which only squid
 * reaches; it accepts SSH logins with the site's key and with the key of a gh: user. After
 * terminate, its certificate is refused and its puppet challenge signs nothing.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { execa, type ResultPromise } from "execa";
import { load } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { labStatus, type LabStatus } from "../../lib/lab/lab-status.ts";
import { labUp } from "../../lib/lab/lab-up.ts";
import { syncSyslogPeers } from "../../lib/managed/syslog-peers.ts";
import { CHALLENGE_PASSWORD_OID, NODE_CERT_PATH, NODE_KEY_PATH } from "../../lib/metadata/vendor-data.ts";
import { loadOrCreateSiteCa } from "../../lib/pki/site-ca.ts";
import { decideAutosign } from "../../lib/puppet/autosign-policy.ts";
import { openStore } from "../../lib/store/open-store.ts";
import type { SqlDatabase } from "../../lib/store/sql-database.ts";
import { ensureAptRepository } from "../../lib/testing/units/apt-repository.ts";
import { serveRepository } from "../../lib/testing/units/unit-network-services.ts";
import { startGithubStandIn, type GithubStandIn } from "../helpers/github-stand-in.ts";
import { labDeployFixture } from "../helpers/lab-deploy-fixture.ts";
import { labTestDataDir } from "../helpers/lab.ts";
import { publishInNamespace, puppetserverPaths, startPuppetserver, startSquid, waitForPuppetserver, type LabService } from "../helpers/lab-site-services.ts";

const run = promisify(execFile);
let status: LabStatus | undefined;
const dataDir = labTestDataDir("orchestra-e2e-managed-", () => status, { timeoutMs: 120_000 });
const { waitFor, machine, commissionedVm, ec2Client } = labDeployFixture(dataDir, () => status);
let rsyslog: ResultPromise | undefined;
let db: SqlDatabase | undefined;
let github: GithubStandIn | undefined;
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  if (rsyslog?.pid) {
    rsyslog.kill("SIGTERM");
    await rsyslog;
  }
  await github?.close();
  await db?.close();
}, 120_000);

/** Inside the lab's namespace, on its loopback: reached by serve and squid, not by a VM. */
const GITHUB_PORT = 9080;
const REPOSITORY_PORT = 9081;
const SERVER = "192.0.2.1";
const APT_PROXY_PORT = 8000;
/** A small package the OS image does not carry, whose only dependency (libc6) it does. */
const APT_PACKAGE = "hello";
const GH_USER = "e2e-octocat";
const PUPPET_REPOSITORY = "e2e/puppet-control";
const PUPPET_PROOF_FILE = "/etc/orchestra-puppet-proof";

describe("a managed node on the lab", () => {
  it("logs over mutual TLS with its own certificate, is signed by puppetserver through the policy and applies the GitHub environment, installs through squid, takes the site's and a gh: user's SSH keys; after terminate its certificate and challenge are refused", async () => {
    expect(process.getuid?.(), "the lab needs root").toBe(0);
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "site@orchestra", "-f", join(dataDir, "id_site")]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "octocat@github", "-f", join(dataDir, "id_gh")]);
    const siteKey = readFileSync(join(dataDir, "id_site.pub"), "utf8").trim();
    const proof = randomBytes(8).toString("hex");

    // The GitHub stand-in: a gh: user's key, and a control repository whose production branch
    // becomes puppet's production environment.
    github = await startGithubStandIn();
    github.users.set(GH_USER, [readFileSync(join(dataDir, "id_gh.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")]);
    const manifest = [
      "node default {",
      `  file { '${PUPPET_PROOF_FILE}':`,
      `    content => "ORCHESTRA-PUPPET ${proof} on \${trusted['certname']}\\n",`,
      "    mode    => '0644',",
      "  }",
      "}",
      "",
    ].join("\n");
    github.repos.set(PUPPET_REPOSITORY, new Map([["production", { "manifests/site.pp": manifest }]]));
    const puppet = puppetserverPaths(dataDir);
    mkdirSync(puppet.environmentsDir, { recursive: true });

    await labUp({
      dataDir, nodes: 1, firmware: ["bios"], memoryMib: 1024, diskGib: 4,
      serveArgs: [
        "--node-syslog", `${SERVER}:6514`,
        "--node-ssh-keys", `${siteKey},gh:${GH_USER}`,
        "--node-apt-proxy", `http://${SERVER}:${APT_PROXY_PORT}`,
        "--node-puppet-server", SERVER,
        "--puppet-repository", PUPPET_REPOSITORY, "--puppet-code-dir", puppet.environmentsDir,
        "--github-api-url", `http://127.0.0.1:${GITHUB_PORT}`, "--github-refresh-seconds", "10",
      ],
    });
    status = await labStatus(dataDir);
    const namespace = status!.namespace;
    mark("lab up");

    // The site's services in the namespace. puppetserver's JVM starts while the image builds.
    const puppetserver = await startPuppetserver(namespace, dataDir, { address: SERVER, dataDir });
    stops.push(() => puppetserver.stop());
    const githubInLab = await publishInNamespace(namespace, dataDir, "github", GITHUB_PORT, github.handler);
    stops.push(() => githubInLab.stop());
    const repository = await ensureAptRepository({ path: "/", key: "host-bookworm", buildSeconds: 0 }, [APT_PACKAGE]);
    const repositoryInLab = await publishInNamespace(namespace, dataDir, "apt-repository", REPOSITORY_PORT, serveRepository(repository.path));
    stops.push(() => repositoryInLab.stop());
    const squid = await startSquid(namespace, { address: SERVER, port: APT_PROXY_PORT, subnet: { network: "192.0.2.0", prefix: 24 } });
    stops.push(() => squid.stop());

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
    const peers = { db, ca, dataDir, address: SERVER, listen: SERVER, port: 6514, confFile, logDir, workDirectory: join(dataDir, "rsyslog-work"), restart };
    await syncSyslogPeers(peers);

    const { image, machine: enlisted } = await commissionedVm();
    const systemId = enlisted.systemId;
    mark("commissioned");

    // serve has synced the environment and resolved the gh: user's key through the relay.
    const managed = await waitFor("serve's GitHub refresh (environment and gh: key)", 120_000, async () => {
      const file = join(dataDir, "managed-status.json");
      if (!existsSync(file)) return undefined;
      const state = JSON.parse(readFileSync(file, "utf8")) as { environments?: { ok: boolean }; sshKeys?: { user: string; keys: number; error?: string }[] };
      return state.environments?.ok && state.sshKeys?.[0]?.keys === 1 && state.sshKeys[0].error === undefined ? state : undefined;
    }, 2000);
    expect(managed.sshKeys).toEqual([expect.objectContaining({ user: GH_USER, keys: 1 })]);
    expect(lstatSync(join(puppet.environmentsDir, "production")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(puppet.environmentsDir, "production", "manifests", "site.pp"), "utf8")).toContain(proof);
    await waitForPuppetserver(namespace, puppetserver, SERVER);
    mark("GitHub synced, puppetserver up");

    const aws = await ec2Client();
    const userData = join(dataDir, "user-data.sh");
    // The user's own user-data still runs; its lines travel through the node's rsyslog to the
    // site. It installs a package from the local repository, which only squid can reach (at
    // 127.0.0.1 of the lab's namespace; the node's own 127.0.0.1 has nothing there): through
    // the apt proxy the vendor-data configured, or not at all.
    const source = "/etc/apt/sources.list.d/orchestra-e2e.list";
    writeFileSync(userData, [
      "#!/bin/sh",
      `logger -t e2e "ORCHESTRA-SYSLOG ${proof}"`,
      `echo "deb [trusted=yes] http://127.0.0.1:${REPOSITORY_PORT}/ ./" > ${source}`,
      `apt-get update -o Dir::Etc::sourcelist=${source} -o Dir::Etc::sourceparts=- > /dev/console 2>&1`,
      `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${APT_PACKAGE} > /dev/console 2>&1`,
      `logger -t e2e "ORCHESTRA-APT ${proof} $(${APT_PACKAGE} 2>&1)"`,
      `echo "ORCHESTRA-PROOF ${proof}" > /dev/console`,
      "",
    ].join("\n"));

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
    const logged = await waitFor("the node's syslog lines over TLS", 300_000, async () => (existsSync(hostLog) && readFileSync(hostLog, "utf8").includes(`ORCHESTRA-APT ${proof}`) ? readFileSync(hostLog, "utf8") : undefined), 2000);
    expect(logged).toContain(`ORCHESTRA-SYSLOG ${proof}`);
    mark("syslog lines arrived over mutual TLS");
    // apt installed the package through squid: the program runs on the node, and squid served its .deb to the node.
    expect(logged).toContain(`ORCHESTRA-APT ${proof} Hello, world!`);
    const fetched = readFileSync(squid.accessLog, "utf8").split("\n").filter((line) => line.includes(`/${APT_PACKAGE}_`) && line.includes(".deb"));
    expect(fetched.length, readFileSync(squid.accessLog, "utf8")).toBeGreaterThan(0);
    expect(fetched[0]).toContain(` ${address} `);
    expect(fetched[0]).toContain(`GET http://127.0.0.1:${REPOSITORY_PORT}/`);
    mark("apt installed through squid");

    const ssh = ["netns", "exec", namespace, "ssh", "-i", join(dataDir, "id_site"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", `debian@${address}`];
    const login = await waitFor("an SSH login with the site's key", 180_000, async () => {
      const r = await execa("ip", [...ssh, "cat /etc/orchestra/node.pem; id -un"], { reject: false });
      return r.exitCode === 0 ? r.stdout : undefined;
    }, 5000);
    expect(login.trim().endsWith("debian")).toBe(true);
    // The gh: user's key, fetched by serve from the stand-in, opens the node too.
    const ghSsh = ssh.map((arg) => (arg === join(dataDir, "id_site") ? join(dataDir, "id_gh") : arg));
    const ghLogin = await execa("ip", [...ghSsh, `id -un; grep -c 'gh:${GH_USER}' .ssh/authorized_keys`], { reject: false });
    expect(ghLogin.exitCode, ghLogin.stderr).toBe(0);
    expect(ghLogin.stdout.split("\n")).toEqual(["debian", "1"]);
    mark("SSH login with the gh: user's key");
    // The agent's CSR was signed by the policy (its challenge), and its run applied the manifest
    // of the environment synced from the stand-in.
    const applied = await waitFor("the puppet agent's run to apply the GitHub environment", 600_000, async () => {
      const r = await execa("ip", [...ssh, `cat ${PUPPET_PROOF_FILE}`], { reject: false });
      return r.exitCode === 0 ? r.stdout : undefined;
    }, 10_000).catch((error: Error) => {
      throw new Error(`${error.message}\n--- puppetserver log:\n${readFileSync(puppetserver.logFile, "utf8").slice(-4000)}`);
    });
    expect(applied.trim()).toBe(`ORCHESTRA-PUPPET ${proof} on ${instanceId}`);
    expect(existsSync(join(puppet.root, "ca", "signed", `${instanceId}.pem`))).toBe(true);
    mark("puppet agent signed by the policy, environment applied");

    // The node's credentials as it was handed them: its vendor-data (sealed at rest in the store).
    const stored = await db.get<{ vendor_data: string }>("SELECT vendor_data FROM instance_metadata WHERE instance_id = $1", [instanceId]);
    const handed = load(db.secrets.open(stored!.vendor_data, `instance:${instanceId}:vendor-data`)) as { write_files: { path: string; content: string }[]; puppet?: { csr_attributes: { custom_attributes: Record<string, string> } } };
    const fileContent = (path: string) => handed.write_files.find((f) => f.path === path)!.content;
    const challenge = handed.puppet!.csr_attributes.custom_attributes[CHALLENGE_PASSWORD_OID]!;
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
    // Its challenge (spent by the agent's CSR) signs nothing now.
    const csrConf = join(dataDir, "csr.cnf");
    writeFileSync(csrConf, ["[req]", "prompt = no", "distinguished_name = dn", "attributes = attrs", "[dn]", `CN = ${instanceId}`, "[attrs]", `challengePassword = ${row!.challenge}`, ""].join("\n"));
    const csr = (await execa("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "/dev/null", "-config", csrConf])).stdout;
    expect(await decideAutosign(db, instanceId, csr)).toEqual({ sign: false, reason: "instance-ended" });
    mark("after terminate: certificate refused, challenge refused");
    console.log(`lab managed-node e2e timeline:\n  ${marks.join("\n  ")}`);
  }, 1_800_000);
});
