/**
 * @module dashboard/query-params
 * Validation of the dashboard API's query strings and bodies: every field is checked on the
 * server, unknown ones are refused (never ignored), and a bad one is INVALID_ARGUMENT with
 * the field's name, the same typed error the CLI gives.
 */
import { OrchestraError } from "../errors.ts";

type Input = Record<string, unknown>;

/** Refuse any field of `input` not in `known`, and any given twice (an array where one value was expected). */
export function onlyFields(input: unknown, known: readonly string[], where: string): Input {
  if (input === undefined || input === null) return {};
  if (typeof input !== "object" || Array.isArray(input)) throw new OrchestraError("INVALID_ARGUMENT", `${where} must be an object`);
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new OrchestraError("INVALID_ARGUMENT", `unknown ${where} field ${JSON.stringify(key)} (known: ${known.join(", ") || "none"})`, { field: key });
  }
  return input as Input;
}

/** An optional string field of at most `max` characters. */
export function optionalString(input: Input, field: string, max = 200): string | undefined {
  const value = input[field];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") throw new OrchestraError("INVALID_ARGUMENT", `${field} must be a single string`, { field });
  if (value.length > max) throw new OrchestraError("INVALID_ARGUMENT", `${field} is longer than ${max} characters`, { field });
  return value;
}

/** A required string field. */
export function requiredString(input: Input, field: string, max = 200): string {
  const value = optionalString(input, field, max);
  if (value === undefined) throw new OrchestraError("MISSING_ARGUMENT", `${field} is required`, { field });
  return value;
}

/** One of `choices`, or `fallback` when absent. */
export function oneOf<T extends string>(input: Input, field: string, choices: readonly T[], fallback: T): T {
  const value = optionalString(input, field);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new OrchestraError("INVALID_ARGUMENT", `invalid ${field} ${JSON.stringify(value)} (one of: ${choices.join(", ")})`, { field });
  return value as T;
}

/** A whole number in [min, max] (query strings carry it as text), or `fallback`. */
export function wholeNumber(input: Input, field: string, min: number, max: number, fallback: number): number {
  const raw = input[field];
  if (raw === undefined || raw === "") return fallback;
  const text = typeof raw === "number" ? String(raw) : raw;
  if (typeof text !== "string" || !/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new OrchestraError("INVALID_ARGUMENT", `${field} must be a whole number from ${min} to ${max}`, { field });
  }
  return Number(text);
}

/** A non-empty array of distinct strings matching `pattern`, at most `max` of them. */
export function stringList(input: Input, field: string, pattern: RegExp, max: number): string[] {
  const value = input[field];
  if (!Array.isArray(value) || value.length === 0) throw new OrchestraError("MISSING_ARGUMENT", `${field} must be a non-empty list`, { field });
  if (value.length > max) throw new OrchestraError("INVALID_ARGUMENT", `${field} holds at most ${max} entries`, { field });
  for (const item of value) {
    if (typeof item !== "string" || !pattern.test(item)) throw new OrchestraError("INVALID_ARGUMENT", `invalid entry ${JSON.stringify(item)} in ${field}`, { field });
  }
  return [...new Set(value as string[])];
}
