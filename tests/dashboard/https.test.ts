/**
 * HTTPS on the EC2 API and dashboard listeners: a certificate from the site CA made on first
 * start, or the operator's own files; the real AWS CLI and boto3 trust it with --ca-bundle /
 * verify=; the dashboard's plain-HTTP port redirects to HTTPS and its cookie is Secure.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { execa } from "execa";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createSiteCa, issueServerCertificate } from "../../lib/pki/index.ts";
import { freeTcpPort } from "../helpers/free-port.ts";

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, "../../lib/cli/main.ts");
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `orchestra serve` with `args`; resolves once it prints its addresses. */
async function serve(args: string[]): Promise<{ dataDir: string; ec2: string; dashboard: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `orchestra-dashboard-tls-${process.pid}-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  await execa(process.execPath, [MAIN, "--data-dir", dataDir, "users", "create", "alice", "--admin"], { input: "correct horse\n" });
  const child: ChildProcess = spawn(process.execPath, [MAIN, "--data-dir", dataDir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--log-level", "warn", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  cleanups.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
  });
  let stderr = "";
  const [ec2, dashboard] = await new Promise<[string, string]>((done, fail) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /ec2 (https?:\/\/[0-9.]+:\d+)\/.*dashboard (https?:\/\/[0-9.]+:\d+)\//.exec(stderr);
      if (match) done([match[1]!, match[2]!]);
    });
    child.once("exit", (code) => fail(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { dataDir, ec2, dashboard };
}

async function awsDescribeRegions(endpoint: string, dataDir: string, caBundle?: string): Promise<string> {
  const { stdout } = await execa(process.execPath, [MAIN, "--data-dir", dataDir, "credentials", "create", "--json"]);
  const key = JSON.parse(stdout);
  const env = { PATH: "/usr/bin:/bin", HOME: dataDir, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: "orchestra", AWS_CONFIG_FILE: join(dataDir, "none"), AWS_SHARED_CREDENTIALS_FILE: join(dataDir, "none"), AWS_PAGER: "", AWS_MAX_ATTEMPTS: "1" };
  const args = ["ec2", "describe-regions", "--endpoint-url", endpoint, "--output", "json", ...(caBundle ? ["--ca-bundle", caBundle] : [])];
  return run("/usr/bin/aws", args, { env, encoding: "utf8" }).then((r) => r.stdout, (e: { stderr: string }) => `FAILED ${e.stderr}`);
}

describe("HTTPS", () => {
  it("serves the EC2 API and the dashboard with a site-CA certificate the AWS CLI and boto3 trust, and redirects plain HTTP", async () => {
    const [dashPort, redirectPort] = [await freeTcpPort(), await freeTcpPort()];
    const server = await serve(["--tls-site-ca", "--dashboard-listen", `127.0.0.1:${dashPort}`, "--dashboard-http-redirect", `127.0.0.1:${redirectPort}`]);
    expect(server.ec2).toMatch(/^https:/);
    const ca = join(server.dataDir, "pki", "ca.pem");
    expect(await awsDescribeRegions(server.ec2, server.dataDir, ca)).toContain("RegionName");
    expect(await awsDescribeRegions(server.ec2, server.dataDir)).toMatch(/FAILED[\s\S]*(SSL|certificate)/i);

    const { stdout } = await execa(process.execPath, [MAIN, "--data-dir", server.dataDir, "credentials", "create", "--json"]);
    const key = JSON.parse(stdout);
    const boto = await execa("python3", ["-c", [
      "import boto3, sys",
      "c = boto3.client('ec2', endpoint_url=sys.argv[1], region_name='orchestra', aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], verify=sys.argv[4])",
      "print(len(c.describe_regions()['Regions']))",
    ].join("\n"), server.ec2, key.accessKeyId, key.secretAccessKey, ca], { env: { PATH: "/usr/bin:/bin", HOME: server.dataDir } });
    expect(Number(boto.stdout.trim())).toBeGreaterThan(0);

    const trusting = new Agent({ connect: { ca: readFileSync(ca, "utf8") } });
    cleanups.push(() => trusting.close());
    const login = await undiciFetch(`${server.dashboard}/api/v1/login`, { dispatcher: trusting, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "alice", password: "correct horse" }) });
    expect(login.status).toBe(200);
    expect(login.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Strict; Secure;/);

    const redirect = await fetch(`http://127.0.0.1:${redirectPort}/#/machines`, { redirect: "manual" });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toBe(`https://127.0.0.1:${dashPort}/`);
  });

  it("serves the operator's own certificate and key, and refuses half a pair before starting", async () => {
    const dir = mkdtempSync(join(tmpdir(), `orchestra-dashboard-own-cert-${process.pid}-`));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ca = createSiteCa("Operator test CA");
    const issued = issueServerCertificate(ca, ["localhost", "127.0.0.1"]);
    writeFileSync(join(dir, "ca.pem"), ca.certPem);
    writeFileSync(join(dir, "server.pem"), issued.certPem);
    writeFileSync(join(dir, "server.key"), issued.keyPem, { mode: 0o600 });
    const server = await serve(["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key"), "--dashboard-listen", `127.0.0.1:${await freeTcpPort()}`]);
    expect(await awsDescribeRegions(server.ec2, server.dataDir, join(dir, "ca.pem"))).toContain("RegionName");

    const half = await execa(process.execPath, [MAIN, "--data-dir", dir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--tls-cert", join(dir, "server.pem")], { reject: false });
    expect(half.exitCode).toBe(1);
    expect(half.stderr).toContain("--tls-cert and --tls-key go together");
  });
});
