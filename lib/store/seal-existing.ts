/**
 * @module store/seal-existing
 * The data migration that seals what a store held before secrets were sealed at rest
 * (schema step 8 added the columns; this step needs the key file, which schema steps do not
 * have, so it runs each time the store is opened and finds nothing left to do after the
 * first). BMC passwords (machines' power settings), user-data, node tokens and NoCloud
 * secrets: the same contexts and formats the row code writes (lib/store/store-secrets.ts).
 */
import type { SqlDatabase, SqlExecutor } from "./sql-database.ts";

const SEALED = "sealed:%";
const HASHED = "h1:%";

/** Seal every secret still stored plain; answers how many values it sealed. */
export async function sealExistingSecrets(db: SqlDatabase): Promise<number> {
  return db.transaction(async (tx) => {
    const { secrets } = tx;
    let sealed = 0;
    const each = async <T>(sql: string, params: string[], work: (row: T) => Promise<void>) => {
      for (const row of await tx.all<T>(sql, params)) {
        await work(row);
        sealed += 1;
      }
    };
    await each<{ system_id: string; power_params: string }>("SELECT system_id, power_params FROM machines WHERE power_params NOT LIKE $1", [SEALED], (row) =>
      run(tx, "UPDATE machines SET power_params = $2 WHERE system_id = $1", [row.system_id, secrets.seal(row.power_params, `machine:${row.system_id}:power`)]),
    );
    await each<{ instance_id: string; user_data: string }>("SELECT instance_id, user_data FROM ec2_instances WHERE user_data IS NOT NULL AND user_data NOT LIKE $1", [SEALED], (row) =>
      run(tx, "UPDATE ec2_instances SET user_data = $2 WHERE instance_id = $1", [row.instance_id, secrets.seal(row.user_data, `instance:${row.instance_id}:user-data`)]),
    );
    await each<{ instance_id: string; user_data: string }>("SELECT instance_id, user_data FROM instance_metadata WHERE user_data IS NOT NULL AND user_data NOT LIKE $1", [SEALED], (row) =>
      run(tx, "UPDATE instance_metadata SET user_data = $2 WHERE instance_id = $1", [row.instance_id, secrets.seal(row.user_data, `instance:${row.instance_id}:metadata-user-data`)]),
    );
    await each<{ instance_id: string; nocloud_secret: string }>("SELECT instance_id, nocloud_secret FROM instance_metadata WHERE nocloud_secret IS NOT NULL AND nocloud_secret NOT LIKE $1", [HASHED], (row) =>
      run(tx, "UPDATE instance_metadata SET nocloud_secret = $2, sealed_nocloud_secret = $3 WHERE instance_id = $1", [
        row.instance_id,
        secrets.lookupKey(row.nocloud_secret),
        secrets.seal(row.nocloud_secret, `instance:${row.instance_id}:nocloud`),
      ]),
    );
    await each<{ machine_id: string; nocloud_secret: string }>("SELECT machine_id, nocloud_secret FROM deployments WHERE nocloud_secret IS NOT NULL AND nocloud_secret NOT LIKE $1", [SEALED], (row) =>
      run(tx, "UPDATE deployments SET nocloud_secret = $2 WHERE machine_id = $1", [row.machine_id, secrets.seal(row.nocloud_secret, `deployment:${row.machine_id}:nocloud`)]),
    );
    for (const [table, name] of [["deployments", "deployment"], ["erasures", "erasure"]] as const) {
      await each<{ machine_id: string; token: string }>(`SELECT machine_id, token FROM ${table} WHERE sealed_token IS NULL AND token NOT LIKE $1`, [HASHED], (row) =>
        run(tx, `UPDATE ${table} SET token = $2, sealed_token = $3 WHERE machine_id = $1`, [row.machine_id, secrets.lookupKey(row.token), secrets.seal(row.token, `${name}:${row.machine_id}:token`)]),
      );
    }
    return sealed;
  });
}

async function run(tx: SqlExecutor, sql: string, params: string[]): Promise<void> {
  await tx.run(sql, params);
}
