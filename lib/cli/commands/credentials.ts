/**
 * @module cli/commands/credentials
 * `orchestra credentials ...`: access keys for the EC2 API. A secret is printed once, at
 * creation, and never again: it is stored sealed under the data directory's key file.
 */
import { join } from "node:path";
import { Command } from "commander";
import { CredentialStore, type CredentialSummary } from "../../ec2/credentials/credential-store.ts";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, secretBox } from "../../ec2/credentials/secret-box.ts";
import { openStore } from "../../store/open-store.ts";
import { databaseUrl, dataDirFor, type GlobalOptions, type StoreUse } from "../context.ts";
import { printJson, renderTable, type Column } from "../output.ts";

const COLUMNS: Column<CredentialSummary>[] = [
  { heading: "ACCESS-KEY-ID", value: (c) => c.accessKeyId },
  { heading: "ACCOUNT", value: (c) => c.account },
  { heading: "ACCOUNT-ID", value: (c) => c.accountId },
  { heading: "CREATED", value: (c) => c.createdAt },
  { heading: "REVOKED", value: (c) => c.revokedAt ?? "-" },
];

/** Open the store and the credential key file in the data directory, run `work`, close. */
export async function withCredentials<T>(options: GlobalOptions, work: (store: CredentialStore) => Promise<T>, use: StoreUse = {}): Promise<T> {
  const dataDir = dataDirFor(options, use);
  const url = databaseUrl(options);
  const db = await openStore(dataDir, url ? { databaseUrl: url } : {});
  try {
    const key = await loadOrCreateSecretKey(join(dataDir, SECRET_KEY_FILE));
    return await work(new CredentialStore(db, secretBox(key)));
  } finally {
    await db.close();
  }
}

/** The `credentials` command group. */
export function credentialsCommand(): Command {
  const group = new Command("credentials").description("access keys for the EC2 API; each belongs to an account");
  group
    .command("create")
    .description("create an access key (the secret is shown only now)")
    .option("--account <name>", "the account the key acts for (created on first use)", "default")
    .option("--json", "print JSON: {accessKeyId, secretAccessKey, account}")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withCredentials(o, async (store) => {
        const created = await store.create(o.account);
        if (o.json) printJson(created);
        else process.stdout.write(`access key id:     ${created.accessKeyId}\nsecret access key: ${created.secretAccessKey}\naccount:           ${created.account}\n(the secret is not shown again)\n`);
      }, { creates: true });
    });
  group
    .command("list")
    .description("list access keys (never their secrets)")
    .option("--json", "print JSON")
    .action(async (_options, command: Command) => {
      const o = command.optsWithGlobals();
      await withCredentials(o, async (store) => {
        const all = await store.list();
        if (o.json) printJson(all);
        else process.stdout.write(renderTable(all, COLUMNS));
      });
    });
  group
    .command("revoke")
    .description("revoke an access key: requests signed with it fail from now on")
    .argument("<access-key-id>")
    .option("--json", "print JSON")
    .action(async (accessKeyId: string, _options, command: Command) => {
      const o = command.optsWithGlobals();
      await withCredentials(o, async (store) => {
        const revoked = await store.revoke(accessKeyId);
        if (o.json) printJson(revoked);
        else process.stdout.write(`revoked ${revoked.accessKeyId}\n`);
      });
    });
  return group;
}
