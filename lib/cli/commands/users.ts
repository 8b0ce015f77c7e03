/**
 * @module cli/commands/users
 * `orchestra users ...`: the web dashboard's operators and their API keys. Passwords come
 * from a prompt or standard input, never from the command line.
 */
import { Command } from "commander";
import { checkNewUser, UserStore, type DashboardUser } from "../../dashboard/user-store.ts";
import { withInventory, type GlobalOptions } from "../context.ts";
import { printJson, renderTable, type Column } from "../output.ts";
import { readPassword } from "../read-password.ts";

const COLUMNS: Column<DashboardUser>[] = [
  { heading: "NAME", value: (u) => u.name },
  { heading: "ROLE", value: (u) => (u.admin ? "admin" : "user") },
  { heading: "ACCOUNT", value: (u) => u.account ?? "(all)" },
  { heading: "CREATED", value: (u) => u.createdAt },
];

async function withUsers<T>(options: GlobalOptions, work: (users: UserStore) => Promise<T>, creates = false): Promise<T> {
  return withInventory(options, (inventory) => work(new UserStore(inventory.db)), { creates });
}

/** The `users` command group. */
export function usersCommand(): Command {
  const group = new Command("users").description("operators of the web dashboard (orchestra serve --dashboard-listen)");
  group
    .command("create <name>")
    .description("create an operator; the password is asked for at a terminal, else read from the first line of standard input")
    .option("--admin", "sees and drives everything")
    .option("--account <name>", "a user who is not an admin sees only this EC2/MAAS account's instances and keys")
    .option("--json", "print JSON")
    .action(async (name: string, _o, command: Command) => {
      const o = command.optsWithGlobals();
      const role = { admin: o.admin === true, ...(o.account === undefined ? {} : { account: String(o.account) }) };
      checkNewUser(name, role);
      const password = await readPassword(`password for ${name}`);
      const user = await withUsers(o, (users) => users.create(name, password, role), true);
      if (o.json) printJson(user);
      else process.stdout.write(`created ${user.admin ? "admin" : "user"} ${user.name}${user.account ? ` (account ${user.account})` : ""}\n`);
    });
  group
    .command("list")
    .description("list operators")
    .option("--json", "print JSON")
    .action(async (_o, command: Command) => {
      const o = command.optsWithGlobals();
      const list = await withUsers(o, (users) => users.list());
      if (o.json) printJson(list);
      else process.stdout.write(renderTable(list, COLUMNS));
    });
  group
    .command("delete <name>")
    .description("remove an operator; their sessions and API keys end at once")
    .action(async (name: string, _o, command: Command) => {
      await withUsers(command.optsWithGlobals(), (users) => users.remove(name));
      process.stdout.write(`deleted user ${name}\n`);
    });
  group
    .command("api-key <name>")
    .description("create an API key for scripts acting as this operator (Authorization: Bearer KEY; shown only now)")
    .option("--json", "print JSON")
    .action(async (name: string, _o, command: Command) => {
      const o = command.optsWithGlobals();
      const key = await withUsers(o, (users) => users.createApiKey(name));
      if (o.json) printJson(key);
      else process.stdout.write(`${key.apiKey}\n`);
    });
  return group;
}
