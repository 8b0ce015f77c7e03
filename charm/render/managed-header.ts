/**
 * @module charm/render/managed-header
 * The first line of every file the charm owns, so an operator knows edits will not last.
 */

/** A comment line in the file's own comment syntax. */
export function managedHeader(comment = "#"): string {
  return `${comment} Managed by the orchestra charm: edits are overwritten on the next hook.\n`;
}
