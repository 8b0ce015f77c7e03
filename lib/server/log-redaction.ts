/**
 * @module server/log-redaction
 * Secrets that travel in URL paths (deploy and erase tokens, NoCloud secrets) never reach a
 * log line. The routes that take them log at warn and never print their URL, but a request
 * that misses them (a trailing slash, an extra segment, the wrong method, a wrong case)
 * lands in the access log or a not-found line with the secret in it. So every request log
 * line, and every line `orchestra serve` writes at all, goes through `redactSecretPaths`.
 *
 * One table says which path segments carry secrets: the segment after each prefix. A new
 * secret-bearing route (a commissioning token, say) is one more row.
 */

/** Route prefixes whose next path segment is a secret: `/<prefix>/<secret>/...`. */
export const SECRET_PATH_PREFIXES: readonly { readonly prefix: string; readonly secret: string }[] = [
  { prefix: "deploy", secret: "deploy token" },
  { prefix: "erase", secret: "erase token" },
  { prefix: "nocloud", secret: "NoCloud secret" },
];

/** What a redacted segment reads as. */
export const REDACTED_SEGMENT = "<redacted>";

/** Characters a path segment may hold (RFC 3986 pchar without `/`): the secret runs until another. */
const SEGMENT_CHAR = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@]$/;

/**
 * `text` with the secret segment after every `/<prefix>/` of the table (any case, any
 * number of slashes) replaced by REDACTED_SEGMENT. A plain scan, no pattern built from data.
 * @example redactSecretPaths("GET /nocloud/Zx9.../user-data/") // "GET /nocloud/<redacted>/user-data/"
 */
export function redactSecretPaths(text: string): string {
  const lower = text.toLowerCase();
  let out = "";
  let copied = 0;
  let at = lower.indexOf("/");
  while (at !== -1) {
    let next = at + 1;
    for (const { prefix } of SECRET_PATH_PREFIXES) {
      if (!lower.startsWith(`${prefix}/`, at + 1)) continue;
      let start = at + 1 + prefix.length;
      while (text[start] === "/") start++;
      let end = start;
      while (end < text.length && SEGMENT_CHAR.test(text[end]!)) end++;
      if (end > start) {
        out += text.slice(copied, start) + REDACTED_SEGMENT;
        copied = end;
      }
      next = end;
      break;
    }
    at = lower.indexOf("/", next);
  }
  return out + text.slice(copied);
}
