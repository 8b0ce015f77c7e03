/**
 * @module deploy/node-report
 * The body of a node's report (deployment or erasure): its first line is the summary (or the
 * reason it failed), the rest is the node's log, kept up to a limit.
 */

/** A node's log is kept up to this size (its tail, where the failure is). */
export const DEPLOY_LOG_LIMIT = 256 * 1024;

/** Split a report body into a one-line printable summary and the log's tail. */
export function splitReport(text: string, fallback: string): { summary: string; log: string } {
  const newline = text.indexOf("\n");
  const summary = (newline < 0 ? text : text.slice(0, newline)).replace(/[^\x20-\x7e]/g, " ").trim().slice(0, 500) || fallback;
  const log = (newline < 0 ? "" : text.slice(newline + 1)).slice(-DEPLOY_LOG_LIMIT);
  return { summary, log };
}
