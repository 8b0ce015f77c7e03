/**
 * @module server/lazy-request-logger
 * fastify gives every request its own pino child logger (bound to the request id, at the
 * route's level). Most requests never log a line at their level: /healthz, the NoCloud
 * seed, a deployment's progress and seed calls log at warn only, and say nothing when they
 * succeed. Making the child anyway (its bindings serialised, and for a route with its own
 * level every log method rebuilt) was work on every request for lines never written: a few
 * microseconds each, a good part of the 3-7 us fastify's whole layer adds to node:http's own
 * cost (tests/bench/http-floor.ts); in a profile of tests/bench/deploy-overhead.ts the
 * children's time fell from 120 to 50 ms over its ~18,000 requests.
 *
 * This factory hands fastify a stand-in that answers the level questions itself and makes
 * the real child only when a line at an enabled level is written: the lines, their fields
 * (reqId included) and their levels are the same as before.
 */
import type { Bindings, ChildLoggerOptions } from "pino";
import type { FastifyBaseLogger, FastifyServerOptions } from "fastify";

/** What the stand-in needs of its parent: pino's level table and its current level. */
type ParentLogger = FastifyBaseLogger & { readonly levels?: { readonly values: Readonly<Record<string, number>> }; readonly levelVal?: number };

type LevelName = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/** pino's own numbers, for a parent that has no level table (not pino). */
const PINO_LEVELS: Readonly<Record<string, number>> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity };

/** A request's logger whose pino child is made on the first line it writes. */
export class LazyRequestLogger implements FastifyBaseLogger {
  readonly #parent: ParentLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  readonly #levels: Readonly<Record<string, number>>;
  /** The lowest level written: the route's own, else the parent's at the request's start (as a pino child inherits it). */
  #threshold: number;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: ParentLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
    this.#levels = parent.levels?.values ?? PINO_LEVELS;
    this.#threshold = options.level ? (this.#levels[options.level] ?? PINO_LEVELS[options.level]!) : (parent.levelVal ?? this.#levels[parent.level] ?? 0);
  }

  /** The real child, made once. */
  #real(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  #enabled(level: LevelName): boolean {
    return this.#levels[level]! >= this.#threshold;
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
    this.#threshold = this.#levels[level] ?? PINO_LEVELS[level] ?? 0;
  }

  /** pino's question, answered without making the child. */
  isLevelEnabled(level: string): boolean {
    return (this.#levels[level] ?? Infinity) >= this.#threshold;
  }

  // Methods on the prototype, not arrow fields: one stand-in per request, so nothing per instance but its fields.
  fatal(...args: unknown[]): void {
    this.#write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.#write("error", args);
  }
  warn(...args: unknown[]): void {
    this.#write("warn", args);
  }
  info(...args: unknown[]): void {
    this.#write("info", args);
  }
  debug(...args: unknown[]): void {
    this.#write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.#write("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  #write(level: LevelName, args: unknown[]): void {
    if (!this.#enabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }
}

/** fastify's `childLoggerFactory`: a LazyRequestLogger for every request. */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (logger, bindings, options) => new LazyRequestLogger(logger as ParentLogger, bindings, options);
