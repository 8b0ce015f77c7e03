/**
 * No machine free: RunInstances answers InsufficientInstanceCapacity with HTTP 400 (NO_CAPACITY
 * is 409 in Orchestra's table; the EC2 front door answers client errors with 400, as EC2 does),
 * a status no AWS SDK retries, so the client reports it at once. Real AWS answers it with 500, which
 * every SDK treats as transient and retries (boto3's legacy mode 5 attempts, 6-9 s of
 * back-off before the user sees the error); Orchestra's capacity does not come back within
 * seconds, so retrying only delays the answer. Proved with the real AWS CLI and both boto3
 * installs by counting the requests the endpoint received, not by timing.
 */
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../../lib/ec2/model/image-catalogue.ts";
import { startEc2Harness, type Ec2Harness } from "../helpers/ec2-harness.ts";

const IMAGE = IMAGES.find((i) => i.architecture === "x86_64")!.imageId;

let harness: Ec2Harness;
let key: { accessKeyId: string; secretAccessKey: string };
beforeAll(async () => {
  harness = await startEc2Harness();
  key = (await harness.client("alice")).credential;
  // One small machine: a t2.micro fits it, an m5.large does not.
  await harness.addMachines(1, { cpus: 1, memoryMib: 1024 });
});
afterAll(() => harness.close());

const BOTO3 = `
import sys, boto3, botocore
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="orchestra", aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
                   config=botocore.config.Config(retries={"mode": sys.argv[5]}))
try:
    ec2.run_instances(ImageId=sys.argv[4], InstanceType="m5.large", MinCount=1, MaxCount=1)
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["ResponseMetadata"].get("RetryAttempts"))
`;

describe("InsufficientInstanceCapacity", () => {
  it("reaches the AWS CLI after one request, with the reason", async () => {
    const before = harness.requestCount();
    const result = await execa("aws", ["--endpoint-url", harness.endpoint, "--region", "orchestra", "ec2", "run-instances", "--image-id", IMAGE, "--instance-type", "m5.large"], {
      reject: false,
      env: { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
    });
    expect(result.exitCode).toBe(255); // AWS CLI v1: a service error
    expect(result.stderr).toMatch(/An error occurred \(InsufficientInstanceCapacity\) when calling the RunInstances operation: We currently do not have sufficient m5\.large capacity/);
    expect(result.stderr).not.toMatch(/reached max retries/);
    expect(harness.requestCount() - before).toBe(1);
  });

  for (const [python, mode] of [["python3", "legacy"], ["python3", "standard"], ["/usr/bin/python3", "legacy"]] as const) {
    it(`reaches boto3 (${python}, ${mode} retries) after one request`, async () => {
      const before = harness.requestCount();
      const { stdout } = await execa(python, ["-c", BOTO3, harness.endpoint, key.accessKeyId, key.secretAccessKey, IMAGE, mode]);
      expect(stdout).toBe("InsufficientInstanceCapacity 400 0");
      expect(harness.requestCount() - before).toBe(1);
    });
  }
});
