/**
 * @module dashboard/change-feed
 * Tells the dashboard's open pages that the store changed, whoever changed it: this server,
 * another unit, or the CLI in another process. One cheap fingerprint query of the store runs
 * while anyone listens (not per listener); when it differs, every listener hears a numbered
 * `change` and re-reads what it shows. A page that lost its connection catches up the same
 * way: it reconnects and re-reads, so nothing depends on events it missed.
 */
import type { SqlDatabase } from "../store/sql-database.ts";

/** How often the store is looked at while pages listen: within a second of any change. */
export const CHANGE_POLL_MS = 250;

const FINGERPRINT = `SELECT
  (SELECT COUNT(*) FROM machines) AS machines,
  (SELECT MAX(updated_at) FROM machines) AS machines_at,
  (SELECT COUNT(*) FROM machine_events) AS events,
  (SELECT COUNT(*) FROM instances) AS instances,
  (SELECT COUNT(*) FROM instances WHERE ended_at IS NOT NULL) AS ended,
  (SELECT COUNT(*) FROM ec2_credentials WHERE revoked_at IS NULL) AS keys,
  (SELECT COUNT(*) FROM ec2_credentials) AS all_keys,
  (SELECT COUNT(*) FROM maas_api_keys WHERE revoked_at IS NULL) AS maas_keys,
  (SELECT COUNT(*) FROM maas_api_keys) AS all_maas_keys,
  (SELECT MAX(updated_at) FROM deployments) AS deploy_at`;

/** A listener's callback: the change's sequence number. */
export type ChangeListener = (seq: number) => void;

/** Polls the store while someone listens and fans changes out. */
export class ChangeFeed {
  readonly #db: SqlDatabase;
  readonly #listeners = new Set<ChangeListener>();
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = "";
  #seq = 0;

  constructor(db: SqlDatabase, pollMs = CHANGE_POLL_MS) {
    this.#db = db;
    this.#pollMs = pollMs;
  }

  /** The current change number (an SSE client's id). */
  get seq(): number {
    return this.#seq;
  }

  /** Listen; returns the function that stops listening. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    if (!this.#timer) this.#schedule();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Look at the store now (a write through this server calls it so its own pages hear at once). */
  async poll(): Promise<void> {
    const row = await this.#db.get(FINGERPRINT).catch(() => undefined);
    if (row === undefined) return;
    const print = JSON.stringify(row);
    if (this.#last !== "" && print !== this.#last) {
      this.#seq += 1;
      for (const listener of this.#listeners) listener(this.#seq);
    }
    this.#last = print;
  }

  #schedule(): void {
    this.#timer = setTimeout(async () => {
      await this.poll();
      if (this.#listeners.size > 0) this.#schedule();
      else this.#timer = undefined;
    }, this.#pollMs);
    this.#timer.unref();
  }

  /** Stop polling (the server is closing). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }
}
