/**
 * @module github/github-client
 * One Octokit for GitHub or GitHub Enterprise (`baseUrl`, e.g. https://ghe.example/api/v3),
 * and one place that turns its failures into Orchestra's errors: an outage, a refused token
 * or a rate limit is GITHUB_UNAVAILABLE (with when to try again), anything GitHub answers
 * that cannot be used is GITHUB_INVALID_RESPONSE. Callers keep their last good state on both.
 */
import { Octokit } from "@octokit/rest";
import { OrchestraError } from "../errors.ts";

/** How to reach GitHub. */
export interface GithubSettings {
  /** The REST API root; default https://api.github.com. */
  readonly baseUrl?: string;
  /** A token (classic or fine-grained); without one, public data only and a lower rate limit. */
  readonly token?: string;
}

/** An Octokit for these settings. Octokit's console logging is silenced: failures reach our log as errors. */
export function githubClient(settings: GithubSettings): Octokit {
  return new Octokit({
    ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl.replace(/\/+$/, "") }),
    ...(settings.token === undefined ? {} : { auth: settings.token }),
    userAgent: "orchestra",
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** Why GitHub could not be used this time. */
export type GithubFailure = "unreachable" | "bad-token" | "rate-limited" | "not-found" | "server-error";

/**
 * The OrchestraError for a failed GitHub call. `retryAt` honours retry-after (seconds) and
 * x-ratelimit-reset (epoch seconds) when GitHub sends them.
 */
export function githubError(error: unknown, what: string, now: Date): OrchestraError {
  if (error instanceof OrchestraError) return error;
  const status = (error as { status?: number })?.status;
  const response = (error as { response?: { headers?: Record<string, string | undefined> } })?.response;
  const headers = response?.headers ?? {};
  const message = (error as Error)?.message ?? String(error);
  // Octokit reports a connection that failed (no HTTP answer at all) as status 500 without a response.
  if (typeof status !== "number" || response === undefined) {
    return new OrchestraError("GITHUB_UNAVAILABLE", `${what}: GitHub is unreachable: ${message}`, { reason: "unreachable" satisfies GithubFailure });
  }
  const retryAfter = Number(headers["retry-after"]);
  const reset = Number(headers["x-ratelimit-reset"]);
  const limited = status === 429 || (status === 403 && (headers["x-ratelimit-remaining"] === "0" || Number.isFinite(retryAfter)));
  if (limited) {
    const retryAt = Number.isFinite(retryAfter) && retryAfter >= 0
      ? new Date(now.getTime() + retryAfter * 1000)
      : Number.isFinite(reset) ? new Date(reset * 1000) : new Date(now.getTime() + 60_000);
    return new OrchestraError("GITHUB_UNAVAILABLE", `${what}: GitHub's rate limit is reached; next try after ${retryAt.toISOString()}`, { reason: "rate-limited" satisfies GithubFailure, retryAt: retryAt.toISOString() });
  }
  if (status === 401) return new OrchestraError("GITHUB_UNAVAILABLE", `${what}: GitHub refused the token (401)`, { reason: "bad-token" satisfies GithubFailure });
  if (status === 404) return new OrchestraError("GITHUB_UNAVAILABLE", `${what}: not found on GitHub, or the token cannot see it (404)`, { reason: "not-found" satisfies GithubFailure });
  return new OrchestraError("GITHUB_UNAVAILABLE", `${what}: GitHub answered ${status}: ${message}`, { reason: "server-error" satisfies GithubFailure });
}

/** When a GITHUB_UNAVAILABLE error says not to call again before, if it says. */
export function retryAtOf(error: OrchestraError): Date | undefined {
  const at = (error.details as { retryAt?: string } | undefined)?.retryAt;
  return at === undefined ? undefined : new Date(at);
}
