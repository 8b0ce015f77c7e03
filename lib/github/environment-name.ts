/**
 * @module github/environment-name
 * Which branches become puppet environments: those matching the configured pattern whose
 * names puppet accepts as environment names (lower-case letters, digits, underscores; not
 * one of puppet's reserved names). Anything else is skipped, so no branch name can reach a
 * path outside the code directory.
 */

const ENVIRONMENT = /^[a-z0-9_]{1,64}$/;
/** Names puppet reserves for its own sections. */
const RESERVED = new Set(["main", "master", "agent", "user", "server"]);

/** Whether `name` is a puppet environment name Orchestra will write. */
export function isEnvironmentName(name: string): boolean {
  return ENVIRONMENT.test(name) && !RESERVED.has(name);
}

/** A branch pattern (`*` matches any run of characters, everything else literally) as a test. */
export function branchMatcher(pattern: string): (branch: string) => boolean {
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  const regex = new RegExp(`^${source}$`);
  return (branch) => regex.test(branch);
}
