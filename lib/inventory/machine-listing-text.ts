/**
 * @module inventory/machine-listing-text
 * Each machine's listed form (`machines list --json`), kept as text in its own row on SQLite,
 * so that listing 10,000 machines is a walk of the hostname index joining stored texts
 * (machine-listing.ts) instead of building 10,000 JSON objects and pretty-printing them
 * (82 ms at 10,000 machines, tests/bench/inventory.ts; most of it json_object and the
 * interfaces' subquery).
 *
 * SQLite triggers write the text whenever a stored field of the machine or one of its
 * interfaces changes, so it is right whatever code path writes: the inventory, enlistment,
 * a test's or an operator's own SQL. The text is the view's JSON as
 * JSON.stringify(listing, null, 2) prints it inside the listing's array (every line after
 * the first indented by two more spaces), without what the listing puts in around it:
 *
 * - the fields every status change writes (status, statusMessage, statusChangedAt,
 *   updatedAt; three changes per deployment), and with them the plain texts before and
 *   between them (systemId, hostname, createdAt), so that what is stored is two pieces:
 *   each one json_quote() of its column. Rewriting the whole text (json_object and
 *   json_pretty over the row and its interfaces) at every status change made the status
 *   UPDATE 22-23 µs of CPU instead of 9-10, 330-345 µs instead of 100 with a 35 KB hardware
 *   document (tests/bench/status-change.ts); the listing pays 1-3 ms at 10,000 machines;
 * - power.testOnly, the one thing the database cannot know: a property of the power types
 *   the Inventory was made with;
 * - the open instance (`instance`), which lives in another table.
 *
 *   listing_head  `,\n    "architecture": ...` ... `"power": {` `"type": ...,` `"params": {...},` `"testOnly": `
 *   listing_tail  `\n    },` `"zone": ...,` `"tags": [...]` (no comma after, no closing brace)
 *
 * json_quote() writes a text as json_object does (the same escaping), so the listing is the
 * text it was when the whole of it was stored (migration 16, machine-listing-text-16.ts).
 * A release that changes the listed shape appends a migration that recreates the triggers
 * and rewrites every row (`refreshListingText("1 = 1")`), and moves migration 17's
 * statements, word for word, to a file of their own, as machine-listing-text-16.ts keeps
 * the first layout's: a shipped step never changes.
 * PostgreSQL keeps building the listing from the machines' views in JavaScript: nothing of
 * this exists there. tests/inventory/machine-listing-text.test.ts holds the text to the
 * views after every write.
 */
import type { Migration } from "../store/migrations.ts";

/** JSON's `true` or `false` from an SQL condition, as a JSON value (not the text "true"). */
const jsonBoolean = (condition: string) => `CASE WHEN ${condition} THEN json('true') ELSE json('false') END`;

/**
 * The machine's stored fields before power.testOnly (the redacted power copy: no secret),
 * in machineView's order, as one JSON document.
 */
const HEAD_OBJECT = `json_object(
  'architecture', m.architecture, 'cpus', m.cpus, 'memoryMib', m.memory_mib, 'storageBytes', m.storage_bytes,
  'disks', json(m.disks),
  'interfaces', (SELECT json_group_array(json_object('mac', i.mac, 'name', i.name, 'boot', ${jsonBoolean("i.boot = 1")}) ORDER BY i.position) FROM interfaces AS i WHERE i.machine_id = m.system_id),
  'hardware', json(m.hardware),
  'power', json_object('type', m.power_type, 'params', json(m.power_params_redacted)))`;

/** The machine's stored fields after power, in machineView's order. */
const TAIL_OBJECT = `json_object('zone', m.zone, 'tags', json(m.tags))`;

/**
 * The machines' columns the text shows: a change to any of them rewrites it. Not the
 * status's columns (put in when listing), so a status change writes its row and nothing more.
 */
const STORED_COLUMNS = ["architecture", "cpus", "memory_mib", "storage_bytes", "disks", "hardware", "power_type", "power_params_redacted", "zone", "tags"];

/** Every line after the first two spaces deeper: an element of the listing's top-level array. JSON text has no raw newline inside a string. */
const asArrayElement = (text: string) => `replace(${text}, char(10), char(10) || '  ')`;

/**
 * The statement that rewrites the listing text of the machines `which` selects (an SQL
 * condition on `m`, the machine). Both documents are pretty-printed with two spaces, then
 * cut where they meet what the listing puts in: the head's document loses its opening `{`
 * (the fields before it come first, so it begins with their comma) and its closing
 * `\n  }\n}` (power's and the machine's closing braces), which gives way to
 * `,\n    "testOnly": `; the tail's begins with `{`, which gives way to power's closing
 * brace, and loses its own closing `\n}`. The cuts are at fixed places, whatever the values
 * hold. The subquery's OFFSET keeps SQLite from merging it into the UPDATE, which would
 * build each document once per mention (twice).
 */
export function refreshListingText(which: string): string {
  return `UPDATE machines SET
    listing_head = ${asArrayElement(`',' || substr(t.head, 2, length(t.head) - 7) || ',' || char(10) || '    "testOnly": '`)},
    listing_tail = ${asArrayElement(`char(10) || '  },' || substr(t.tail, 2, length(t.tail) - 3)`)}
  FROM (SELECT m.system_id, json_pretty(${HEAD_OBJECT}, '  ') AS head, json_pretty(${TAIL_OBJECT}, '  ') AS tail FROM machines AS m WHERE ${which} LIMIT -1 OFFSET 0) AS t
  WHERE machines.system_id = t.system_id`;
}

/** `text` as an SQL string literal (newlines and all: a literal may hold them). */
const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The text before a member's value in a listed machine: the comma after the one before, the line, the name. */
const member = (name: string, first = false) => sqlText(`${first ? "{" : ","}\n    "${name}": `);

/**
 * The listing's element for the machine `m` (an SQL expression): its stored text with the
 * fields left out of it put in, `testOnly` (SQL giving the text `true` or `false`) and then
 * `instance` (SQL giving the text from `,\n    "instance": ` to the machine's closing
 * brace). NULL when a stored text is missing (written NULL by hand or by a migration).
 * One concat(): `||` would copy the element so far at every piece.
 */
export function listingElement(testOnly: string, instance: string): string {
  const quoted = (name: string, column: string, first = false) => `${member(name, first)}, json_quote(m.${column})`;
  return `CASE WHEN m.listing_head IS NULL OR m.listing_tail IS NULL THEN NULL ELSE concat(
    ${quoted("systemId", "system_id", true)}, ${quoted("hostname", "hostname")}, ${quoted("status", "status")}, ${quoted("statusMessage", "status_message")},
    m.listing_head, ${testOnly}, m.listing_tail,
    ${quoted("statusChangedAt", "status_changed_at")}, ${quoted("createdAt", "created_at")}, ${quoted("updatedAt", "updated_at")},
    ${instance}) END`;
}

/** A trigger that rewrites the listing text of the machines `which` names after `event`. */
function trigger(name: string, event: string, which: string): string {
  return `CREATE TRIGGER ${name} AFTER ${event} FOR EACH ROW BEGIN ${refreshListingText(which)}; END`;
}

/** The triggers that keep the text: their names as migration 16 made them, their bodies this layout's. */
const TRIGGERS: readonly [name: string, event: string, which: string][] = [
  ["machines_listing_after_insert", "INSERT ON machines", "m.system_id = NEW.system_id"],
  ["machines_listing_after_update", `UPDATE OF ${STORED_COLUMNS.join(", ")} ON machines`, "m.system_id = NEW.system_id"],
  ["interfaces_listing_after_insert", "INSERT ON interfaces", "m.system_id = NEW.machine_id"],
  ["interfaces_listing_after_update", "UPDATE ON interfaces", "m.system_id IN (OLD.machine_id, NEW.machine_id)"],
  ["interfaces_listing_after_delete", "DELETE ON interfaces", "m.system_id = OLD.machine_id"],
];

/**
 * Migration 17: migration 16's triggers made again with this layout's statement (each
 * trigger holds the statement it runs), the machine's firing on the stored columns only, and
 * every machine's text rewritten to this layout. SQLite only (see the module's comment).
 * The machine's own trigger does not fire on the text's columns, so its write of the text
 * does not fire it again.
 */
export const LISTING_VOLATILE_MIGRATION: Migration = {
  version: 17,
  name: "machines' listed JSON without the status, put in when listing (SQLite)",
  statements: (dialect) =>
    dialect !== "sqlite"
      ? []
      : [...TRIGGERS.map(([name]) => `DROP TRIGGER IF EXISTS ${name}`), ...TRIGGERS.map(([name, event, which]) => trigger(name, event, which)), refreshListingText("1 = 1")],
};
