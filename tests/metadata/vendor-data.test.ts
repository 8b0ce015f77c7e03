/**
 * Orchestra's client setup as vendor-data: rendered, checked by cloud-init's own schema
 * validator (`cloud-init schema`, Debian's cloud-init), refused when malformed, and carried
 * by every new instance's metadata when `serve --vendor-data` is given.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import { execa } from "execa";
import { load } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../lib/ec2/model/image-catalogue.ts";
import { StoreMetadataSource } from "../../lib/metadata/store-metadata-source.ts";
import { checkVendorData, NODE_AWS_ENDPOINT_FILES, NODE_SYSLOG_CA_PATH, renderVendorData } from "../../lib/metadata/vendor-data.ts";
import { orchestra } from "../helpers/cli.ts";
import { addReadyMachines } from "../helpers/inventory.ts";
import { startEc2Harness } from "../ec2/helpers/ec2-harness.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-vendor-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUXr0bYw==\n-----END CERTIFICATE-----\n";
const FULL = { aptProxyUrl: "http://192.0.2.1:3128", syslog: { host: "192.0.2.1", port: 6514, caPem: CA }, puppetServer: "puppet.orchestra.example" };

async function cloudInitSchema(text: string): Promise<{ exitCode: number; output: string }> {
  const file = join(dir, `schema-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, text);
  const result = await execa("cloud-init", ["schema", "--config-file", file], { reject: false, all: true });
  return { exitCode: result.exitCode ?? -1, output: String(result.all) };
}

describe("vendor-data", () => {
  it("renders the apt proxy, TLS syslog with its CA and the puppet server as cloud-config that cloud-init's schema accepts", async () => {
    const text = renderVendorData(FULL);
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(load(text)).toMatchObject({
      apt: { proxy: "http://192.0.2.1:3128/" },
      write_files: [{ path: NODE_SYSLOG_CA_PATH, content: CA }],
      packages: ["rsyslog-gnutls"],
      puppet: { conf: { agent: { server: "puppet.orchestra.example" } } },
    });
    expect(text).toContain('target="192.0.2.1" port="6514" protocol="tcp" StreamDriver="gtls"');
    const schema = await cloudInitSchema(text);
    expect(schema.exitCode, schema.output).toBe(0);
    expect(schema.output).toContain("Valid cloud-config");
    // The validator is not a rubber stamp: a wrong type is refused.
    expect((await cloudInitSchema("#cloud-config\napt:\n  proxy: 5\n")).exitCode).not.toBe(0);
  });

  it("puts the EC2 endpoint override, and nothing secret, into every shell and service on the node", async () => {
    const text = renderVendorData({ ec2Endpoint: "http://192.0.2.1:8773/", syslog: FULL.syslog });
    const config = load(text) as { write_files: { path: string; content: string; append?: boolean }[] };
    const byPath = new Map(config.write_files.map((f) => [f.path, f]));
    expect(byPath.get(NODE_AWS_ENDPOINT_FILES.profile)!.content).toContain("export AWS_ENDPOINT_URL_EC2=http://192.0.2.1:8773\n");
    expect(byPath.get(NODE_AWS_ENDPOINT_FILES.environment)).toMatchObject({ append: true, content: "AWS_ENDPOINT_URL_EC2=http://192.0.2.1:8773\n" });
    expect(byPath.get(NODE_AWS_ENDPOINT_FILES.systemd)!.content).toContain("[Service]\nEnvironment=AWS_ENDPOINT_URL_EC2=http://192.0.2.1:8773\n");
    // The syslog CA still lands beside them.
    expect(byPath.has(NODE_SYSLOG_CA_PATH)).toBe(true);
    const schema = await cloudInitSchema(text);
    expect(schema.exitCode, schema.output).toBe(0);
    // What a login shell on the node gets, by the node's own shell.
    writeFileSync(join(dir, "profile.sh"), byPath.get(NODE_AWS_ENDPOINT_FILES.profile)!.content);
    expect((await execa("sh", ["-c", `. ${join(dir, "profile.sh")}; printf %s "$AWS_ENDPOINT_URL_EC2"`], { env: {} })).stdout).toBe("http://192.0.2.1:8773");
    // systemd's own parser: a top-level service.d drop-in is read for a service such as jujud's,
    // and ours parses cleanly (a deliberately bad copy shows the parser did read that file).
    const units = join(dir, "units");
    mkdirSync(join(units, "service.d"), { recursive: true });
    writeFileSync(join(units, "jujud-machine-0.service"), "[Unit]\nDescription=stands for Juju's agent\n[Service]\nExecStart=/bin/true\n");
    const dropIn = join(units, "service.d", "60-orchestra-aws-endpoint.conf");
    const verify = () => execa("systemd-analyze", ["verify", "--man=no", join(units, "jujud-machine-0.service")], { reject: false, all: true, env: { SYSTEMD_UNIT_PATH: `${units}:` } });
    writeFileSync(dropIn, byPath.get(NODE_AWS_ENDPOINT_FILES.systemd)!.content);
    const clean = await verify();
    expect(clean.exitCode, String(clean.all)).toBe(0);
    expect(String(clean.all)).not.toContain(dropIn);
    writeFileSync(dropIn, `${byPath.get(NODE_AWS_ENDPOINT_FILES.systemd)!.content}NotAKey=1\n`);
    expect(String((await verify()).all)).toContain(`${dropIn}:4: Unknown key 'NotAKey'`);
    for (const bad of ["http://user:secret@192.0.2.1:8773", "ftp://192.0.2.1", "http://192.0.2.1:8773/?x=1", "http://192.0.2.1:8773/$(reboot)", "http://192.0.2.1/%41", "not a url"]) {
      expect(() => renderVendorData({ ec2Endpoint: bad }), bad).toThrow(/EC2 endpoint/);
    }
    const cli = await orchestra(["vendor-data", "--ec2-endpoint", "http://192.0.2.1:8773"]);
    expect(cli.stdout).toContain("AWS_ENDPOINT_URL_EC2=http://192.0.2.1:8773");
  });

  it("renders nothing when there is nothing to set up, and refuses malformed parts", () => {
    expect(renderVendorData({})).toBe("");
    expect(() => renderVendorData({ aptProxyUrl: "https://192.0.2.1:3128" })).toThrow(/http:\/\//);
    expect(() => renderVendorData({ aptProxyUrl: "not a url" })).toThrow(/not a URL/);
    expect(() => renderVendorData({ syslog: { host: "bad host", port: 6514, caPem: CA } })).toThrow(/syslog host/);
    expect(() => renderVendorData({ syslog: { host: "192.0.2.1", port: 70000, caPem: CA } })).toThrow(/port/);
    expect(() => renderVendorData({ syslog: { host: "192.0.2.1", port: 6514, caPem: "not a certificate" } })).toThrow(/PEM/);
    expect(() => renderVendorData({ puppetServer: "puppet;reboot" })).toThrow(/puppet server/);
  });

  it("checks a vendor-data file: cloud-config mapping or script, at most 64 KiB", () => {
    expect(checkVendorData("#cloud-config\napt: {proxy: http://x/}\n", "f")).toContain("apt");
    expect(checkVendorData("#!/bin/sh\necho hi\n", "f")).toContain("echo");
    expect(() => checkVendorData("apt: {}\n", "f")).toThrow(/starts with #cloud-config/);
    expect(() => checkVendorData("#cloud-config\napt: [\n", "f")).toThrow(/not valid YAML/);
    expect(() => checkVendorData("#cloud-config\n- a\n", "f")).toThrow(/mapping/);
    expect(() => checkVendorData(`#cloud-config\n#${"x".repeat(70_000)}\n`, "f")).toThrow(/64|65536/);
  });

  it("rides along with every new instance's metadata", async () => {
    const vendorData = renderVendorData({ aptProxyUrl: "http://192.0.2.1:3128" });
    const harness = await startEc2Harness({ vendorData });
    try {
      await addReadyMachines(harness.services.inventory, 1);
      const client = await harness.client("alice");
      const run = await client.send(new RunInstancesCommand({ ImageId: IMAGES[0]!.imageId, MinCount: 1, MaxCount: 1, InstanceType: "t2.nano" }));
      const instanceId = run.Instances![0]!.InstanceId!;
      // At rest the secret is sealed (and looked up by its keyed hash): open the sealed copy.
      const row = await harness.services.db.get<{ sealed_nocloud_secret: string }>("SELECT sealed_nocloud_secret FROM instance_metadata WHERE instance_id = $1", [instanceId]);
      const secret = harness.services.db.secrets.open(row!.sealed_nocloud_secret, `instance:${instanceId}:nocloud`);
      expect((await new StoreMetadataSource(harness.services.db).findByNocloudSecret(secret))?.vendorData).toBe(vendorData);
    } finally {
      await harness.close();
    }
  });

  it("the CLI renders it, and serve refuses a vendor-data file it cannot use", async () => {
    const rendered = await orchestra(["vendor-data", "--apt-proxy", "http://192.0.2.1:3128"]);
    expect(rendered.exitCode, rendered.stderr).toBe(0);
    expect(rendered.stdout).toContain("proxy: http://192.0.2.1:3128/");
    expect((await orchestra(["vendor-data", "--syslog", "192.0.2.1:6514"])).stderr).toContain("--syslog and --syslog-ca go together");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "apt: {}\n");
    const serve = await orchestra(["--data-dir", join(dir, "data"), "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--vendor-data", bad]);
    expect(serve.exitCode).toBe(1);
    expect(serve.stderr).toContain("vendor-data starts with #cloud-config or #!");
  });
});
