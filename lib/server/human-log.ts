/**
 * @module server/human-log
 * pino's JSON lines as a person reads them on a terminal: time, level name, the service,
 * the message, then the remaining fields as key=value. `orchestra serve` uses it when its
 * stderr is a terminal (or with --log-format text); JSON stays the format for files,
 * journald and log shippers.
 */

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
/** Fields every line has, shown in the line's fixed part or not at all. */
const FIXED = new Set(["level", "time", "pid", "hostname", "msg", "service"]);

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** One pino JSON line as one human line (a line that is not JSON passes through). */
export function humanLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const time = typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 23) : "";
  const level = (LEVELS[Number(record.level)] ?? String(record.level)).padEnd(5);
  const service = record.service ? `${String(record.service)}: ` : "";
  const err = record.err as { message?: string; stack?: string } | undefined;
  const fields = Object.entries(record)
    .filter(([key]) => !FIXED.has(key) && key !== "err")
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const tail = fields.length ? `  ${fields.join(" ")}` : "";
  const stack = err?.stack ? `\n    ${err.stack.split("\n").join("\n    ")}` : err?.message ? `  err=${formatValue(err.message)}` : "";
  return `${time} ${level} ${service}${String(record.msg ?? "")}${tail}${stack}\n`;
}

/** A pino destination that writes human lines to `out`. */
export function humanLogStream(out: NodeJS.WritableStream): { write(chunk: string): void } {
  return { write: (chunk: string) => void out.write(humanLogLine(chunk.replace(/\n$/, ""))) };
}
