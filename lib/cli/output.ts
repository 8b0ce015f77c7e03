/**
 * @module cli/output
 * How the CLI prints: aligned tables for people, JSON (one document on stdout) for scripts.
 */

/** A column of a table: its heading and how to get its text from a row. */
export interface Column<T> {
  heading: string;
  value: (row: T) => string;
}

/** Render rows as a left-aligned table with a heading line. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.heading.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(columns.map((c) => c.heading)), ...cells.map(line)].join("\n") + "\n";
}

/** Print a value as JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Human size from bytes, the one unit style of every table: GiB with one decimal (`16.0G`), or MiB when small (`512M`). */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return "-";
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(gib >= 100 ? 0 : 1)}G` : `${Math.round(bytes / 1024 ** 2)}M`;
}
