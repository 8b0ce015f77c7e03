/**
 * The boot listener's per-request logger is made on its first line: the lines written are
 * the same as a pino child's (fields, request id, level filtering), and a request that
 * writes nothing makes no child.
 */
import Fastify, { LogController } from "fastify";
import { pino } from "pino";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { LazyRequestLogger, lazyChildLoggerFactory } from "../../lib/server/lazy-request-logger.ts";

/** A pino logger at `level` whose lines land, parsed, in `lines`. */
function capturing(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level, base: undefined, timestamp: false }, sink), lines };
}

/** Let the sink's writes land. */
const settle = () => new Promise((resolveSettle) => setImmediate(resolveSettle));

describe("LazyRequestLogger", () => {
  it("writes what a pino child at the same level writes, and nothing at the levels it filters", async () => {
    const lazy = capturing("info");
    const eager = capturing("info");
    const stand = new LazyRequestLogger(lazy.logger, { reqId: "req-1" }, { level: "warn" });
    const child = eager.logger.child({ reqId: "req-1" }, { level: "warn" });
    for (const log of [stand, child]) {
      log.info({ a: 1 }, "filtered by the route's level");
      log.warn({ b: 2 }, "kept");
      log.error(new Error("boom"), "failed");
    }
    await settle();
    expect(lazy.lines).toEqual(eager.lines);
    expect(lazy.lines.map((l) => l.msg)).toEqual(["kept", "failed"]);
    expect(lazy.lines[0]).toMatchObject({ reqId: "req-1", b: 2, level: 40 });
  });

  it("makes no child while nothing is written at an enabled level", () => {
    const { logger } = capturing("info");
    const made = vi.spyOn(logger, "child");
    const stand = new LazyRequestLogger(logger, { reqId: "req-2" }, { level: "warn" });
    stand.info("below the route's level");
    stand.debug("below the listener's level");
    expect(stand.isLevelEnabled("info")).toBe(false);
    expect(stand.isLevelEnabled("warn")).toBe(true);
    expect(stand.level).toBe("warn");
    expect(made).not.toHaveBeenCalled();
    stand.warn("now it is made");
    stand.error("and made once");
    expect(made).toHaveBeenCalledTimes(1);
  });

  it("inherits the parent's level when the route names none", () => {
    const { logger } = capturing("warn");
    const stand = new LazyRequestLogger(logger, { reqId: "req-3" }, {});
    expect(stand.level).toBe("warn");
    expect(stand.isLevelEnabled("info")).toBe(false);
    expect(stand.isLevelEnabled("error")).toBe(true);
  });

  it("serves as fastify's request logger: route lines carry the request id, warn routes write none below warn", async () => {
    const { logger, lines } = capturing("info");
    const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: lazyChildLoggerFactory });
    app.get("/said", async (request) => {
      request.log.info({ route: "said" }, "said something");
      return "ok";
    });
    app.get("/quiet", { logLevel: "warn" }, async (request) => {
      request.log.info("never written");
      return "ok";
    });
    try {
      expect((await app.inject({ method: "GET", url: "/said" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/quiet" })).statusCode).toBe(200);
      await settle();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ route: "said", msg: "said something", level: 30 });
      expect(typeof lines[0]!.reqId).toBe("string");
    } finally {
      await app.close();
    }
  });
});
