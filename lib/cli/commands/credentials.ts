/**
 * @module cli/commands/credentials
 * `orchestra credentials ...`: access keys for the EC2 API. A secret is printed once, at
 * creation, and never again: it is stored sealed under the data directory's key file.
 */
import { join } from "node:path";
import { Command } from "commander";
import { CredentialStore, type CredentialSummary } from "../../ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../ec2/credentials/secret-box.ts";
import { MaasKeyStore, type MaasApiKeySummary } from "../../maas/credentials/maas-key-store.ts";
import { resolveDataDir } from "../../store/data-dir.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl, type GlobalOptions } from "../context.ts";
import { printJson, renderTable, type Column } from "../output.ts";

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
export async function withCredentials<T>(options: GlobalOptions, work: (store: CredentialStore, maas: MaasKeyStore) => Promise<T>): Promise<T> {
  const dataDir = resolveDataDir(options.dataDir);
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
    .option("--json", "print JSON: {accessKeyId, secretAccessKey, account}, or with --maas {apiKey, consumerKey, tokenKey, account}")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withCredentials(o, async (store, maas) => {
        if (o.maas) {
          const key = await maas.create(o.account);
          if (o.json) printJson(key);
          else process.stdout.write(`MAAS API key: ${key.apiKey}\naccount:      ${key.account}\n(the key is not shown again)\n`);
          return;
        }
        const created = await store.create(o.account);
        if (o.json) printJson(created);
        else process.stdout.write(`access key id:     ${created.accessKeyId}\nsecret access key: ${created.secretAccessKey}\naccount:           ${created.account}\n(the secret is not shown again)\n`);
      });
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
