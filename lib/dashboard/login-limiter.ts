/**
 * @module dashboard/login-limiter
 * Login attempts per source address and per user name in a sliding window: a password
 * guesser is slowed to a handful of tries, whichever address or name it rotates.
 */
import { OrchestraError } from "../errors.ts";

/** Failed logins allowed per key in the window, and the window's length. */
export interface LoginLimits {
  maxFailures: number;
  windowMs: number;
}

/** Five failures per address or user name in 5 minutes (then one more each time one ages out). */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailures: 5, windowMs: 5 * 60_000 };

/** Counts failed logins; memory is bounded by pruning keys whose failures have all aged out. */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #limits: LoginLimits;
  readonly #now: () => number;

  constructor(limits: Partial<LoginLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    this.#now = now;
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#limits.windowMs;
    const list = (this.#failures.get(key) ?? []).filter((at) => at > since);
    if (list.length) this.#failures.set(key, list);
    else this.#failures.delete(key);
    return list;
  }

  /** Throw RATE_LIMITED when the address or the user name has used up its failures. */
  check(source: string, user: string): void {
    for (const key of [`ip:${source}`, `user:${user}`]) {
      const recent = this.#recent(key);
      if (recent.length >= this.#limits.maxFailures) {
        const retry = Math.ceil((recent[0]! + this.#limits.windowMs - this.#now()) / 1000);
        throw new OrchestraError("RATE_LIMITED", `too many failed logins; try again in ${retry} s`, { retryAfterSeconds: retry });
      }
    }
  }

  /** Count one failed login. */
  fail(source: string, user: string): void {
    if (this.#failures.size > 100_000) this.#failures.clear();
    for (const key of [`ip:${source}`, `user:${user}`]) this.#failures.set(key, [...this.#recent(key), this.#now()]);
  }
}
