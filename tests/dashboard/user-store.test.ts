import { describe, expect, it } from "vitest";
import { openStore } from "../../lib/store/open-store.ts";
import { UserStore } from "../../lib/dashboard/user-store.ts";
import { hashPassword, verifyPassword } from "../../lib/dashboard/password-hash.ts";
import { LoginLimiter } from "../../lib/dashboard/login-limiter.ts";

describe("dashboard users", () => {
  it("keeps only a salted scrypt hash, and verifies it", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("correct horse");
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horsf", a)).toBe(false);
  });

  it("creates admins and account users, and refuses bad names, roles and duplicates with typed errors", async () => {
    const users = new UserStore(await openStore(":memory:"));
    await users.create("alice", "correct horse", { admin: true });
    await users.create("bob", "battery staple", { account: "team1" });
    await expect(users.create("alice", "whatever1", { admin: true })).rejects.toMatchObject({ code: "DUPLICATE_USER" });
    await expect(users.create("Eve!", "whatever1", { admin: true })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(users.create("carol", "whatever1", {})).rejects.toMatchObject({ code: "MISSING_ARGUMENT" });
    await expect(users.create("carol", "whatever1", { admin: true, account: "x" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(users.create("carol", "short", { admin: true })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((await users.list()).map((u) => [u.name, u.admin, u.account])).toEqual([["alice", true, null], ["bob", false, "team1"]]);
    await expect(users.authenticate("alice", "wrong password")).rejects.toMatchObject({ code: "LOGIN_FAILED" });
    await expect(users.authenticate("nobody", "correct horse")).rejects.toMatchObject({ code: "LOGIN_FAILED" });
    expect((await users.authenticate("bob", "battery staple")).account).toBe("team1");
  });

  it("ends a session when logged out, after its idle limit and after its absolute limit", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const users = new UserStore(await openStore(":memory:"), { now: () => now, limits: { idleSeconds: 600, absoluteSeconds: 3600 } });
    const alice = await users.create("alice", "correct horse", { admin: true });
    const loggedOut = await users.startSession(alice);
    expect((await users.session(loggedOut.token))?.user.name).toBe("alice");
    await users.endSession(loggedOut.token);
    expect(await users.session(loggedOut.token)).toBeUndefined();

    const idle = await users.startSession(alice);
    now = new Date(now.getTime() + 601_000);
    expect(await users.session(idle.token)).toBeUndefined();

    const busy = await users.startSession(alice);
    for (let minute = 0; minute < 70; minute += 5) {
      now = new Date(now.getTime() + 300_000);
      const alive = await users.session(busy.token);
      if (minute + 5 <= 60) expect(alive, `minute ${minute}`).toBeDefined();
      else expect(alive, `minute ${minute}`).toBeUndefined();
    }
  });

  it("keeps a session alive while it is used more often than its idle limit, however short", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const users = new UserStore(await openStore(":memory:"), { now: () => now, limits: { idleSeconds: 40, absoluteSeconds: 3600 } });
    const session = await users.startSession(await users.create("alice", "correct horse", { admin: true }));
    for (let step = 1; step <= 10; step++) {
      now = new Date(now.getTime() + 30_000);
      expect(await users.session(session.token), `after ${step * 30} s`).toBeDefined();
    }
  });

  it("opens API keys for their user only while they are live", async () => {
    const users = new UserStore(await openStore(":memory:"));
    await users.create("bob", "battery staple", { account: "team1" });
    const { keyId, apiKey } = await users.createApiKey("bob");
    expect((await users.apiKeyUser(apiKey))?.name).toBe("bob");
    expect(await users.apiKeyUser(`${keyId}.${"A".repeat(43)}`)).toBeUndefined();
    await users.revokeApiKey(keyId);
    expect(await users.apiKeyUser(apiKey)).toBeUndefined();
    await expect(users.createApiKey("nobody")).rejects.toMatchObject({ code: "USER_NOT_FOUND" });
  });
});

describe("the login limiter", () => {
  it("refuses an address or a user name after five failures until the window moves on", () => {
    let now = 0;
    const limiter = new LoginLimiter({ maxFailures: 5, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 5; i++) {
      limiter.check("192.0.2.1", "alice");
      limiter.fail("192.0.2.1", "alice");
    }
    expect(() => limiter.check("192.0.2.1", "bob")).toThrow(expect.objectContaining({ code: "RATE_LIMITED" }));
    expect(() => limiter.check("192.0.2.2", "alice")).toThrow(expect.objectContaining({ code: "RATE_LIMITED" }));
    limiter.check("192.0.2.2", "bob");
    now = 61_000;
    limiter.check("192.0.2.1", "alice");
  });
});
