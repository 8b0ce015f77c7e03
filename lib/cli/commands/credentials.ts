/**
 * @module cli/commands/credentials
 * `orchestra credentials ...`: access keys for the EC2 API. A secret is printed once, at
 * creation, and never again: it is stored sealed under the data directory's key file.
 */
import { mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { CredentialStore, type CredentialSummary } from "../../ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../ec2/credentials/secret-box.ts";
import { MaasKeyStore, type MaasApiKeySummary } from "../../maas/credentials/maas-key-store.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl, dataDirFor, type GlobalOptions, type StoreUse } from "../context.ts";
import { printJson, renderTable, type Column } from "../output.ts";
import { isProfileName, renderConfigFile, renderCredentialsFile, type AwsCliProfile } from "../../ec2/credentials/aws-cli-profile.ts";
import { DEFAULT_TOPOLOGY } from "../../ec2/model/ec2-services.ts";
import { OrchestraError } from "../../errors.ts";
import { writeFileAtomic } from "../../files/write-file-atomic.ts";

/** Where the AWS CLI keeps its files: the same environment variables it reads, else ~/.aws. */
function awsFiles(env: NodeJS.ProcessEnv = process.env): { credentials: string; config: string } {
  return {
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), ".aws", "credentials"),
    config: env.AWS_CONFIG_FILE || join(homedir(), ".aws", "config"),
  };
}

/** Write `profile` into the AWS CLI's files (0600: they hold a secret); resolves to their paths. */
async function writeAwsProfile(profile: AwsCliProfile): Promise<{ credentials: string; config: string }> {
  const files = awsFiles();
  const read = (path: string) => readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? "" : Promise.reject(error)));
  for (const path of [files.credentials, files.config]) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(files.credentials, renderCredentialsFile(await read(files.credentials), profile), 0o600);
  await writeFileAtomic(files.config, renderConfigFile(await read(files.config), profile), 0o600);
  return files;
}

const COLUMNS: Column<CredentialSummary>[] = [
  { heading: "ACCESS-KEY-ID", value: (c) => c.accessKeyId },
  { heading: "ACCOUNT", value: (c) => c.account },
  { heading: "ACCOUNT-ID", value: (c) => c.accountId },
  { heading: "CREATED", value: (c) => c.createdAt },
  { heading: "REVOKED", value: (c) => c.revokedAt ?? "-" },
];

const MAAS_COLUMNS: Column<MaasApiKeySummary>[] = [
  { heading: "TOKEN-KEY", value: (k) => k.tokenKey },
  { heading: "CONSUMER-KEY", value: (k) => k.consumerKey },
  { heading: "ACCOUNT", value: (k) => k.account },
  { heading: "CREATED", value: (k) => k.createdAt },
  { heading: "REVOKED", value: (k) => k.revokedAt ?? "-" },
];

/** Open the store and the credential key file in the data directory, run `work`, close. */
export async function withCredentials<T>(options: GlobalOptions, work: (store: CredentialStore, maas: MaasKeyStore) => Promise<T>, use: StoreUse = {}): Promise<T> {
  const dataDir = dataDirFor(options, use);
  const url = databaseUrl(options);
  const db = await openStore(dataDir, url ? { databaseUrl: url } : {});
  try {
    const key = await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE));
    return await work(new CredentialStore(db, secretBox(key)), new MaasKeyStore(db, secretBox(key)));
  } finally {
    await db.close();
  }
}

/** The `credentials` command group. */
export function credentialsCommand(): Command {
  const group = new Command("credentials").description("access keys for the EC2 API and API keys for the MAAS API; each belongs to an account");
  group
    .command("create")
    .description("create an access key (the secret is shown only now)")
    .option("--account <name>", "the account the key acts for (created on first use)", "default")
    .option("--maas", "create a MAAS API key (consumer:token:secret) instead of an EC2 access key")
    .option("--aws-profile <name>", "also save the key as this AWS CLI profile (in ~/.aws/credentials and ~/.aws/config, or $AWS_SHARED_CREDENTIALS_FILE and $AWS_CONFIG_FILE), with the region and endpoint")
    .option("--endpoint-url <url>", "the EC2 endpoint the profile names", "http://127.0.0.1:8773")
    .option("--region <name>", "the region the profile names (serve's --region)", DEFAULT_TOPOLOGY.region)
    .option("--json", "print JSON: {accessKeyId, secretAccessKey, account}, or with --maas {apiKey, consumerKey, tokenKey, account}")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      if (o.awsProfile !== undefined && !isProfileName(o.awsProfile)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --aws-profile ${JSON.stringify(o.awsProfile)}: letters, digits, '.', '_' and '-'`);
      if (o.awsProfile !== undefined && o.maas) throw new OrchestraError("INVALID_ARGUMENT", "--aws-profile saves an EC2 access key; it cannot be used with --maas");
      if (!/^https?:\/\/[^\s/]+\/?$/.test(o.endpointUrl)) throw new OrchestraError("INVALID_ARGUMENT", `invalid --endpoint-url ${JSON.stringify(o.endpointUrl)}: expected http(s)://HOST:PORT`);
      await withCredentials(o, async (store, maas) => {
        if (o.maas) {
          const key = await maas.create(o.account);
          if (o.json) printJson(key);
          else process.stdout.write(`MAAS API key: ${key.apiKey}\naccount:      ${key.account}\n(the key is not shown again)\n`);
          return;
        }
        const created = await store.create(o.account);
        const saved = o.awsProfile === undefined ? undefined : await writeAwsProfile({ name: o.awsProfile, ...created, region: o.region, endpointUrl: o.endpointUrl.replace(/\/$/, "") });
        if (o.json) printJson(saved ? { ...created, awsProfile: o.awsProfile } : created);
        else if (saved) process.stdout.write(`access key id:     ${created.accessKeyId}\naccount:           ${created.account}\naws profile:       ${o.awsProfile} (${saved.credentials}, ${saved.config}): aws --profile ${o.awsProfile} ec2 ...\n`);
        else process.stdout.write(`access key id:     ${created.accessKeyId}\nsecret access key: ${created.secretAccessKey}\naccount:           ${created.account}\n(the secret is not shown again)\n`);
      }, { creates: true });
    });
  group
    .command("list")
    .description("list access keys (never their secrets)")
    .option("--maas", "list MAAS API keys instead")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withCredentials(o, async (store, maas) => {
        if (o.maas) {
          const keys = await maas.list();
          if (o.json) printJson(keys);
          else process.stdout.write(renderTable(keys, MAAS_COLUMNS));
          return;
        }
        const all = await store.list();
        if (o.json) printJson(all);
        else process.stdout.write(renderTable(all, COLUMNS));
      });
    });
  group
    .command("revoke")
    .description("revoke an access key (or with --maas a MAAS API key, by its token key): requests signed with it fail from now on")
    .argument("<access-key-id>")
    .option("--maas", "revoke the MAAS API key with this token key")
    .option("--json", "print JSON")
    .action(async (accessKeyId: string, _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withCredentials(o, async (store, maas) => {
        if (o.maas) {
          const revoked = await maas.revoke(accessKeyId);
          if (o.json) printJson(revoked);
          else process.stdout.write(`revoked ${revoked.tokenKey}\n`);
          return;
        }
        const revoked = await store.revoke(accessKeyId);
        if (o.json) printJson(revoked);
        else process.stdout.write(`revoked ${revoked.accessKeyId}\n`);
      });
    });
  return group;
}
