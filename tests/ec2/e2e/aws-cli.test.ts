/**
 * The AWS CLI v2 from Debian's awscli package (/usr/bin/aws, not the pyenv CLI v1 first on
 * PATH) against a real `orchestra serve`.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const run = promisify(execFile);
const IMAGE = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;

let orchestra: OrchestraProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  orchestra = await startOrchestra();
  await orchestra.addMachines(3);
  const key = await orchestra.createCredentials("cli");
  env = {
    PATH: "/usr/bin:/bin",
    HOME: orchestra.dataDir,
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_DEFAULT_REGION: orchestra.region,
    AWS_CONFIG_FILE: join(orchestra.dataDir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(orchestra.dataDir, "no-aws-credentials"),
    AWS_PAGER: "",
    AWS_MAX_ATTEMPTS: "1",
  };
});
afterAll(() => orchestra?.stop());

/** `aws ec2 ...` with JSON output; resolves to the parsed output. */
async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run("/usr/bin/aws", ["ec2", ...args, "--endpoint-url", orchestra.endpoint, "--output", "json"], { env, encoding: "utf8" });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

/** `aws ec2 ...` that must fail; resolves to its stderr. */
async function awsFails(...args: string[]): Promise<string> {
  try {
    await aws(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
  throw new Error(`aws ec2 ${args.join(" ")} succeeded`);
}

describe("the AWS CLI v2 from Debian", () => {
  it("is the Debian CLI v2", async () => {
    const { stdout } = await run("/usr/bin/aws", ["--version"], { env, encoding: "utf8" });
    expect(stdout).toMatch(/^aws-cli\/2\./);
  });

  it("runs, describes, tags, stops, starts and terminates instances", async () => {
    const zones = await aws("describe-availability-zones");
    expect(zones.AvailabilityZones.map((z: any) => z.ZoneName)).toEqual(["default"]);

    const launched = await aws(
      "run-instances",
      "--image-id", IMAGE,
      "--instance-type", "t2.micro",
      "--count", "2",
      "--user-data", "#!/bin/sh\necho from the aws cli\n",
      "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=cli-box}]",
    );
    const ids: string[] = launched.Instances.map((i: any) => i.InstanceId);
    expect(ids).toHaveLength(2);
    expect(launched.Instances.map((i: any) => i.State.Name)).toEqual(["running", "running"]);

    const described = await aws("describe-instances", "--filters", "Name=tag:Name,Values=cli-box", "Name=instance-state-name,Values=running", "--query", "Reservations[].Instances[].InstanceId");
    expect(described.sort()).toEqual([...ids].sort());
    // The CLI follows NextToken itself when asked for small pages.
    const paged = await aws("describe-instances", "--page-size", "5", "--query", "Reservations[].Instances[].InstanceId");
    expect(paged.sort()).toEqual([...ids].sort());

    await aws("create-tags", "--resources", ids[0]!, "--tags", "Key=env,Value=test");
    const tags = await aws("describe-tags", "--filters", `Name=resource-id,Values=${ids[0]}`);
    expect(tags.Tags.map((t: any) => `${t.Key}=${t.Value}`).sort()).toEqual(["Name=cli-box", "env=test"]);

    const stopped = await aws("stop-instances", "--instance-ids", ids[0]!);
    expect(stopped.StoppingInstances[0].CurrentState.Name).toBe("stopped");
    const started = await aws("start-instances", "--instance-ids", ids[0]!);
    expect(started.StartingInstances[0].CurrentState.Name).toBe("running");

    const terminated = await aws("terminate-instances", "--instance-ids", ...ids);
    expect(terminated.TerminatingInstances.map((t: any) => t.CurrentState.Name)).toEqual(["terminated", "terminated"]);
  });

  it("imports a key pair and manages a security group", async () => {
    const pub = join(orchestra.dataDir, "id.pub");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(orchestra.dataDir, "id")]);
    const imported = await aws("import-key-pair", "--key-name", "laptop", "--public-key-material", `fileb://${pub}`);
    expect(imported.KeyName).toBe("laptop");
    expect((await aws("describe-key-pairs")).KeyPairs.map((k: any) => k.KeyName)).toEqual(["laptop"]);

    const group = await aws("create-security-group", "--group-name", "ssh", "--description", "ssh from anywhere");
    await aws("authorize-security-group-ingress", "--group-id", group.GroupId, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0");
    const groups = await aws("describe-security-groups", "--group-ids", group.GroupId);
    expect(groups.SecurityGroups[0].IpPermissions).toEqual([{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    await aws("revoke-security-group-ingress", "--group-id", group.GroupId, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0");
    await aws("delete-security-group", "--group-id", group.GroupId);
    await aws("delete-key-pair", "--key-name", "laptop");
  });

  it("shows EC2 errors as the CLI reports them", async () => {
    expect(await awsFails("describe-instances", "--instance-ids", "i-0123456789abcdef0")).toContain("InvalidInstanceID.NotFound");
    expect(await awsFails("run-instances", "--image-id", IMAGE, "--count", "1", "--dry-run")).toContain("DryRunOperation");
    expect(await awsFails("run-instances", "--image-id", IMAGE, "--count", "20")).toContain("InsufficientInstanceCapacity");
    expect(await awsFails("attach-volume", "--device", "/dev/sdf", "--instance-id", "i-0123456789abcdef0", "--volume-id", "vol-0123456789abcdef0")).toContain("UnsupportedOperation");
    const badEnv = { ...env, AWS_SECRET_ACCESS_KEY: "wrong" };
    const failure = await run("/usr/bin/aws", ["ec2", "describe-regions", "--endpoint-url", orchestra.endpoint], { env: badEnv, encoding: "utf8" }).catch((e: { stderr: string }) => e.stderr);
    expect(failure).toContain("SignatureDoesNotMatch");
  });
});
