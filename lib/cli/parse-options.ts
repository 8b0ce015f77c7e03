/**
 * @module cli/parse-options
 * Strict parsers for option values: a typo is an error, never a silent zero.
 */
import { OrchestraError } from "../errors.ts";

/** Parse a non-negative whole number option. */
export function parseWholeNumber(option: string, text: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    throw new OrchestraError("INVALID_ARGUMENT", `${option} must be a non-negative whole number, got ${JSON.stringify(text)}`, { option });
  }
  return Number(text);
}

/** Parse repeated KEY=VALUE options into an object; a key given twice is an error. */
export function parseKeyValues(option: string, pairs: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new OrchestraError("INVALID_ARGUMENT", `${option} takes KEY=VALUE, got ${JSON.stringify(pair.includes("=") ? pair : pair.slice(0, 40))}`, { option });
    const key = pair.slice(0, at);
    if (key in result) throw new OrchestraError("INVALID_ARGUMENT", `${option} ${key} is given twice`, { option });
    result[key] = pair.slice(at + 1);
  }
  return result;
}

/** Commander's collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
