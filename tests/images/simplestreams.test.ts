/**
 * The simplestreams image index Juju's aws provider reads: rendered from the image store's
 * deployable images, signed with Orchestra's gpg key (Debian's gpg, generated once in batch
 * mode), checked with gpgv against the exported public key, and served by `orchestra serve`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootImage } from "../../lib/images/boot-image.ts";
import { importImage } from "../../lib/images/import-image.ts";
import { publishSimplestreams, simplestreamsGnupgHome } from "../../lib/images/simplestreams-publish.ts";
import { IMAGE_CONTENT_ID, renderSimplestreams } from "../../lib/images/simplestreams-index.ts";
import { isOrchestraError } from "../../lib/errors.ts";
import { startOrchestra, type OrchestraProcess } from "../ec2/helpers/orchestra-process.ts";

const run = promisify(execFile);

function image(overrides: Partial<BootImage>): BootImage {
  const file = { sizeBytes: 1, sha256: "0".repeat(64) };
  return { id: "ami-00000000000000001", name: "x", role: "os", release: "noble", architecture: "amd64", files: { kernel: file, initrd: file, root: file }, source: "/x", createdAt: "2026-11-30T10:00:00.000Z", ...overrides };
}

/** Verify a clearsigned file with gpgv against an armored public key; answers gpgv's exit code. */
async function gpgvStatus(armoredKey: string, signed: string, work: string): Promise<number> {
  writeFileSync(join(work, "key.asc"), armoredKey);
  writeFileSync(join(work, "signed.sjson"), signed);
  await run("gpg", ["--batch", "--yes", "--output", join(work, "key.gpg"), "--dearmor", join(work, "key.asc")]);
  return run("gpgv", ["--keyring", join(work, "key.gpg"), join(work, "signed.sjson")]).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
}

/** The JSON inside a clearsigned document. */
function clearsignedBody(text: string): unknown {
  const body = text.split("\n\n").slice(1).join("\n\n").split("\n-----BEGIN PGP SIGNATURE-----")[0]!;
  return JSON.parse(body.replace(/^- /gm, ""));
}

describe("renderSimplestreams", () => {
  it("lists only deployable images, with the fields Juju's ImageMetadata reads", () => {
    const noble = image({ id: "ami-0000000000000000a" });
    const arm = image({ id: "ami-0000000000000000b", architecture: "arm64", release: "jammy" });
    const noRoot = image({ id: "ami-0000000000000000c", files: { kernel: noble.files.kernel, initrd: noble.files.initrd } });
    const discovery = image({ id: "ami-0000000000000000d", role: "discovery" });
    const files = renderSimplestreams([noble, arm, noRoot, discovery], { region: "us-east-1", endpoint: "https://ec2.us-east-1.amazonaws.com" }, new Date("2026-12-01T00:00:00Z"));
    const index = JSON.parse(files.index.text);
    expect(index.format).toBe("index:1.0");
    const entry = index.index[IMAGE_CONTENT_ID];
    expect(entry).toMatchObject({ format: "products:1.0", datatype: "image-ids", clouds: [{ region: "us-east-1", endpoint: "https://ec2.us-east-1.amazonaws.com" }], path: files.products.path });
    expect(entry.products).toEqual(["com.ubuntu.cloud:server:22.04:arm64", "com.ubuntu.cloud:server:24.04:amd64"]);
    expect(JSON.parse(files.signedIndex.text).index[IMAGE_CONTENT_ID].path).toBe(files.products.signedPath);
    const products = JSON.parse(files.products.text);
    expect(products).toMatchObject({ content_id: IMAGE_CONTENT_ID, format: "products:1.0", datatype: "image-ids" });
    expect(products.products["com.ubuntu.cloud:server:24.04:amd64"]).toEqual({
      release: "noble",
      version: "24.04",
      arch: "amd64",
      versions: { "20261130": { items: { "ami-0000000000000000a": { id: "ami-0000000000000000a", root_store: "ebs", virt: "hvm", region: "us-east-1", endpoint: "https://ec2.us-east-1.amazonaws.com", crsn: "us-east-1" } } } },
    });
    expect(files.products.text).not.toContain("ami-0000000000000000c");
    expect(files.products.text).not.toContain("ami-0000000000000000d");
  });

  it("refuses an empty index and bad clouds", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isOrchestraError(error) ? error.code : String(error);
      }
      return undefined;
    };
    expect(code(() => renderSimplestreams([image({ role: "deploy" })], { region: "us-east-1", endpoint: "https://x" }, new Date()))).toBe("IMAGE_NOT_FOUND");
    expect(code(() => renderSimplestreams([image({})], { region: "US East", endpoint: "https://x" }, new Date()))).toBe("INVALID_ARGUMENT");
    expect(code(() => renderSimplestreams([image({})], { region: "us-east-1", endpoint: "ftp://x" }, new Date()))).toBe("INVALID_ARGUMENT");
  });
});

describe("orchestra images simplestreams and serve", () => {
  let orchestra: OrchestraProcess;
  let work: string;
  let images: BootImage[];

  beforeAll(async () => {
    orchestra = await startOrchestra({ region: "us-east-1" });
    work = mkdtempSync(join(tmpdir(), "orchestra-simplestreams-"));
    for (const name of ["vmlinuz", "initrd.img", "disk.img.gz"]) writeFileSync(join(work, name), `${name} bytes`);
    images = [
      await importImage(orchestra.dataDir, { name: "ubuntu-noble", role: "os", release: "noble", architecture: "amd64", source: work }, { kind: "directory", path: work, kernel: "vmlinuz", initrd: "initrd.img", root: "disk.img.gz" }),
      await importImage(orchestra.dataDir, { name: "debian-12-cloud", role: "os", release: "bookworm", architecture: "amd64", source: work }, { kind: "directory", path: work, kernel: "vmlinuz", initrd: "initrd.img", root: "disk.img.gz" }),
    ];
  });
  afterAll(async () => {
    await orchestra?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("writes a signed index naming every deployable image, which gpgv checks against the exported key", async () => {
    const { stdout } = await orchestra.cli(["images", "simplestreams", "--region", "us-east-1", "--json"]);
    const published = JSON.parse(stdout);
    expect(published.cloud).toEqual({ region: "us-east-1", endpoint: "https://ec2.us-east-1.amazonaws.com" });
    const key = readFileSync(published.publicKeyPath, "utf8");
    expect(key).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const dir = join(published.dir, "images/streams/v1");
    const signedProducts = readFileSync(join(dir, `${IMAGE_CONTENT_ID}.sjson`), "utf8");
    const signedIndex = readFileSync(join(dir, "index.sjson"), "utf8");
    expect(await gpgvStatus(key, signedIndex, work)).toBe(0);
    expect(await gpgvStatus(key, signedProducts, work)).toBe(0);
    // A changed byte breaks the signature.
    expect(await gpgvStatus(key, signedProducts.replace(images[0]!.id, "ami-0123456789abcdef0"), work)).not.toBe(0);
    const products = clearsignedBody(signedProducts) as { products: Record<string, { versions: Record<string, { items: Record<string, { id: string }> }> }> };
    expect(products).toEqual(JSON.parse(readFileSync(join(dir, `${IMAGE_CONTENT_ID}.json`), "utf8")));
    const ids = Object.values(products.products).flatMap((p) => Object.values(p.versions).flatMap((v) => Object.values(v.items).map((i) => i.id)));
    expect(ids.sort()).toEqual(images.map((i) => i.id).sort());
    expect((clearsignedBody(signedIndex) as { index: Record<string, { path: string }> }).index[IMAGE_CONTENT_ID]!.path).toBe(`streams/v1/${IMAGE_CONTENT_ID}.sjson`);

    // The key is made once: a second run signs with the same one.
    const again = JSON.parse((await orchestra.cli(["images", "simplestreams", "--region", "us-east-1", "--json"])).stdout);
    expect(again.fingerprint).toBe(published.fingerprint);
    // The agent gpg started for the key's home is stopped again.
    const agents = await run("gpgconf", ["--homedir", simplestreamsGnupgHome(orchestra.dataDir), "--list-dirs", "agent-socket"]).then(({ stdout }) => stdout.trim());
    await expect(run("test", ["-S", agents])).rejects.toBeTruthy();
  });

  it("is served on the boot listener under /streams/v1/, with the public key", async () => {
    await orchestra.cli(["images", "simplestreams", "--region", "us-east-1"]);
    const index = await fetch(`${orchestra.bootEndpoint}/streams/v1/index.json`);
    expect(index.status).toBe(200);
    expect(((await index.json()) as { index: Record<string, { clouds: unknown }> }).index[IMAGE_CONTENT_ID]!.clouds).toEqual([{ region: "us-east-1", endpoint: "https://ec2.us-east-1.amazonaws.com" }]);
    const signed = await fetch(`${orchestra.bootEndpoint}/streams/v1/${encodeURIComponent(`${IMAGE_CONTENT_ID}.sjson`)}`);
    expect(signed.status).toBe(200);
    const key = await fetch(`${orchestra.bootEndpoint}/streams/orchestra-simplestreams.asc`);
    expect(await gpgvStatus(await key.text(), await signed.text(), work)).toBe(0);
    expect((await fetch(`${orchestra.bootEndpoint}/streams/v1/missing.json`)).status).toBe(404);
    expect((await fetch(`${orchestra.bootEndpoint}/streams/v1/..%2F..%2Fsimplestreams-gnupg%2Fpubring.kbx`)).status).toBe(404);
  });

  it("presents a real AWS region name on the EC2 API, as Juju requires", async () => {
    const key = await orchestra.createCredentials("juju");
    const { stdout } = await run("/usr/bin/python3", ["-c", "import boto3,os,json; c=boto3.client('ec2',endpoint_url=os.environ['E'],region_name='us-east-1',aws_access_key_id=os.environ['K'],aws_secret_access_key=os.environ['S']); print(json.dumps([c.describe_regions()['Regions'][0]['RegionName'], c.describe_availability_zones(Filters=[{'Name':'region-name','Values':['us-east-1']}])['AvailabilityZones'][0]['State']]))"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", HOME: orchestra.dataDir, E: orchestra.endpoint, K: key.accessKeyId, S: key.secretAccessKey },
    });
    expect(JSON.parse(stdout)).toEqual(["us-east-1", "available"]);
  });
});
