/**
 * @module inventory/machine-listing-text-16
 * Store migration 16 as it shipped: the columns `listing_head` and `listing_tail`, triggers
 * that rewrote them on every write of a listed column, and the first layout of the text,
 * which held every listed field, the status among them, so that every status change (three
 * per deployment) rewrote the whole text. Migration 17 (machine-listing-text.ts) recreates
 * the triggers and rewrites every text to the layout the listing reads now. Kept word for
 * word: a store made today runs this first, and a step never changes once shipped.
 *
 *   listing_head  `{` ... `"power": {` `"type": ...,` `"params": {...},` `"testOnly": `
 *   listing_tail  `\n    },` `"zone": ...` ... `"updatedAt": "..."` (no closing brace)
 */
import type { Migration } from "../store/migrations.ts";

/** JSON's `true` or `false` from an SQL condition, as a JSON value (not the text "true"). */
const jsonBoolean = (condition: string) => `CASE WHEN ${condition} THEN json('true') ELSE json('false') END`;

/**
 * The machine's listed fields up to and with power's type and parameters (the redacted
 * copy: no secret), in machineView's order, as one JSON document.
 */
const HEAD_OBJECT = `json_object(
  'systemId', m.system_id, 'hostname', m.hostname, 'status', m.status, 'statusMessage', m.status_message,
  'architecture', m.architecture, 'cpus', m.cpus, 'memoryMib', m.memory_mib, 'storageBytes', m.storage_bytes,
  'disks', json(m.disks),
  'interfaces', (SELECT json_group_array(json_object('mac', i.mac, 'name', i.name, 'boot', ${jsonBoolean("i.boot = 1")}) ORDER BY i.position) FROM interfaces AS i WHERE i.machine_id = m.system_id),
  'hardware', json(m.hardware),
  'power', json_object('type', m.power_type, 'params', json(m.power_params_redacted)))`;

/** The machine's listed fields after power, in machineView's order. */
const TAIL_OBJECT = `json_object('zone', m.zone, 'tags', json(m.tags), 'statusChangedAt', m.status_changed_at, 'createdAt', m.created_at, 'updatedAt', m.updated_at)`;

/** The machines' columns the text shows: a change to any of them rewrites it. */
const LISTED_COLUMNS = [
  "system_id",
  "hostname",
  "status",
  "status_message",
  "architecture",
  "cpus",
  "memory_mib",
  "storage_bytes",
  "disks",
  "hardware",
  "power_type",
  "power_params_redacted",
  "zone",
  "tags",
  "status_changed_at",
  "created_at",
  "updated_at",
];

/** Every line after the first two spaces deeper: an element of the listing's top-level array. JSON text has no raw newline inside a string. */
const asArrayElement = (text: string) => `replace(${text}, char(10), char(10) || '  ')`;

/**
 * The statement that rewrote the listing text of the machines `which` selects (an SQL
 * condition on `m`, the machine), in the first layout. Both documents are pretty-printed
 * with two spaces, then cut where they meet: the head's document ends in `\n  }\n}`
 * (power's and the machine's closing braces), which gives way to `,\n    "testOnly": `; the
 * tail's begins with `{`, which gives way to power's closing brace, and loses its own
 * closing `\n}`. The subquery's OFFSET keeps SQLite from merging it into the UPDATE, which
 * would build each document once per mention (twice).
 */
function refreshListingText16(which: string): string {
  return `UPDATE machines SET
    listing_head = ${asArrayElement(`substr(t.head, 1, length(t.head) - 6) || ',' || char(10) || '    "testOnly": '`)},
    listing_tail = ${asArrayElement(`char(10) || '  },' || substr(t.tail, 2, length(t.tail) - 3)`)}
  FROM (SELECT m.system_id, json_pretty(${HEAD_OBJECT}, '  ') AS head, json_pretty(${TAIL_OBJECT}, '  ') AS tail FROM machines AS m WHERE ${which} LIMIT -1 OFFSET 0) AS t
  WHERE machines.system_id = t.system_id`;
}

/** A trigger that rewrites the listing text of the machines `which` names after `event`. */
function trigger(name: string, event: string, which: string): string {
  return `CREATE TRIGGER ${name} AFTER ${event} FOR EACH ROW BEGIN ${refreshListingText16(which)}; END`;
}

/**
 * Migration 16: the columns, the triggers that kept them, and the text of every machine
 * already there. SQLite only: PostgreSQL builds the listing in JavaScript. The machine's
 * own trigger fired on the listed columns only, so its write of the text did not fire it again.
 */
export const LISTING_TEXT_MIGRATION: Migration = {
  version: 16,
  name: "machines' listed JSON kept with the row (SQLite)",
  statements: (dialect) =>
    dialect !== "sqlite"
      ? []
      : [
          "ALTER TABLE machines ADD COLUMN listing_head TEXT",
          "ALTER TABLE machines ADD COLUMN listing_tail TEXT",
          trigger("machines_listing_after_insert", "INSERT ON machines", "m.system_id = NEW.system_id"),
          trigger("machines_listing_after_update", `UPDATE OF ${LISTED_COLUMNS.join(", ")} ON machines`, "m.system_id = NEW.system_id"),
          trigger("interfaces_listing_after_insert", "INSERT ON interfaces", "m.system_id = NEW.machine_id"),
          trigger("interfaces_listing_after_update", "UPDATE ON interfaces", "m.system_id IN (OLD.machine_id, NEW.machine_id)"),
          trigger("interfaces_listing_after_delete", "DELETE ON interfaces", "m.system_id = OLD.machine_id"),
          refreshListingText16("1 = 1"),
        ],
};
