/**
 * @module ec2/model/filters
 * EC2 `Filter.N` semantics: values of one filter are ORed, filters are ANDed, `*` and `?`
 * are wildcards (./wildcard.ts, no regular expression), and a filter name the action does not know is an error (moto raises too).
 */
import { OrchestraError } from "../../errors.ts";
import { wildcardMatcher } from "./wildcard.ts";

/** How to read each filterable field of a T; a field may have several values (e.g. group ids). */
export type FilterFields<T> = Readonly<Record<string, (item: T) => string | readonly string[] | undefined>>;

/** One parsed filter. */
export interface Filter {
  readonly Name: string;
  readonly Value: readonly string[];
}

/** A predicate built from filters; `tag:KEY` and `tag-key`/`tag-value` use `tags` when given. */
export function compileFilters<T>(filters: readonly Filter[], fields: FilterFields<T>, tags?: (item: T) => ReadonlyMap<string, string>): (item: T) => boolean {
  const tests = filters.map((filter) => compileOne(filter, fields, tags));
  return (item) => tests.every((test) => test(item));
}

/** Keep the items that pass every filter. */
export function applyFilters<T>(items: readonly T[], filters: readonly Filter[], fields: FilterFields<T>, tags?: (item: T) => ReadonlyMap<string, string>): T[] {
  if (filters.length === 0) return [...items];
  const keep = compileFilters(filters, fields, tags);
  return items.filter(keep);
}

function compileOne<T>(filter: Filter, fields: FilterFields<T>, tags?: (item: T) => ReadonlyMap<string, string>): (item: T) => boolean {
  const matchers = filter.Value.map(wildcardMatcher);
  const anyMatch = (values: Iterable<string>): boolean => {
    for (const v of values) if (matchers.some((m) => m(v))) return true;
    return false;
  };
  if (tags && filter.Name.startsWith("tag:")) {
    const key = filter.Name.slice(4);
    return (item) => {
      const value = tags(item).get(key);
      return value !== undefined && anyMatch([value]);
    };
  }
  if (tags && filter.Name === "tag-key") return (item) => anyMatch(tags(item).keys());
  if (tags && filter.Name === "tag-value") return (item) => anyMatch(tags(item).values());
  const field = Object.hasOwn(fields, filter.Name) ? fields[filter.Name] : undefined;
  if (!field) throw new OrchestraError("EC2_INVALID_FILTER", `The filter '${filter.Name}' is invalid`, { filter: filter.Name });
  if (filter.Value.length === 0) throw new OrchestraError("INVALID_ARGUMENT", `The filter '${filter.Name}' has no values.`, { filter: filter.Name });
  return (item) => {
    const value = field(item);
    if (value === undefined) return false;
    return anyMatch(typeof value === "string" ? [value] : value);
  };
}
