/**
 * Debian's boto3 STS client against the minimal STS on `orchestra serve`'s EC2 listener:
 * GetCallerIdentity answers the account's id and ARN; bad keys are refused as STS refuses them.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrchestra, type OrchestraProcess } from "../helpers/orchestra-process.ts";

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, "fixtures/sts-session.py");

let orchestra: OrchestraProcess;

beforeAll(async () => {
  orchestra = await startOrchestra();
});
afterAll(() => orchestra?.stop());

describe("STS from Debian's boto3", () => {
  it("answers GetCallerIdentity with the account's id and ARN, and refuses bad keys", async () => {
    const key = await orchestra.createCredentials("terraform");
    const other = await orchestra.createCredentials("someone-else");
    const exec = (accessKeyId: string, secretAccessKey: string) =>
      run("/usr/bin/python3", [SCRIPT], {
        encoding: "utf8",
        env: { PATH: "/usr/bin:/bin", HOME: orchestra.dataDir, ORCHESTRA_ENDPOINT: orchestra.endpoint, ORCHESTRA_REGION: orchestra.region, ORCHESTRA_KEY: accessKeyId, ORCHESTRA_SECRET: secretAccessKey },
      }).then(({ stdout }) => JSON.parse(stdout));
    const out = await exec(key.accessKeyId, key.secretAccessKey);
    expect(out.identity.Account).toMatch(/^[0-9]{12}$/);
    expect(out.identity).toEqual({ Account: out.identity.Account, Arn: `arn:aws:iam::${out.identity.Account}:user/terraform`, UserId: key.accessKeyId });
    expect(out.unknown_key).toEqual(["InvalidClientTokenId", 403]);
    expect(out.wrong_secret).toEqual(["SignatureDoesNotMatch", 403]);
    expect(out.other_action).toEqual(["InvalidAction", 400]);
    // Each account is itself: another key of another account answers another id.
    const theirs = await exec(other.accessKeyId, other.secretAccessKey);
    expect(theirs.identity.Account).not.toBe(out.identity.Account);
    // The same account id EC2 shows as ownerId.
    const ec2 = await run("/usr/bin/python3", ["-c", "import boto3,os,json; c=boto3.client('ec2',endpoint_url=os.environ['E'],region_name=os.environ['R'],aws_access_key_id=os.environ['K'],aws_secret_access_key=os.environ['S']); print(c.describe_vpcs()['Vpcs'][0]['OwnerId'])"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", HOME: orchestra.dataDir, E: orchestra.endpoint, R: orchestra.region, K: key.accessKeyId, S: key.secretAccessKey },
    });
    expect(ec2.stdout.trim()).toBe(out.identity.Account);
  });
});
