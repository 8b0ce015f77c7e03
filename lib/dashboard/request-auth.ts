/**
 * @module dashboard/request-auth
 * Who a dashboard API request acts as: a session cookie (browsers) or an API key in
 * `Authorization: Bearer` (scripts). A cookie is sent by the browser on its own, so every
 * state-changing request that relies on one must also carry the session's CSRF token in a
 * header, which another site's page can neither read nor set.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OrchestraError } from "../errors.ts";
import type { DashboardUser, UserStore } from "./user-store.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "orchestra_session";

/** The header a cookie-authenticated write must carry. */
export const CSRF_HEADER = "x-csrf-token";

/** An authenticated caller. */
export interface Caller {
  readonly user: DashboardUser;
  /** How it proved who it is; the session's token when by cookie. */
  readonly via: { kind: "session"; token: string; csrfToken: string } | { kind: "api-key" };
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}

/** The Set-Cookie value for a session token (or for clearing it when `token` is empty). */
export function sessionCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  return [`${SESSION_COOKIE}=${token}`, "Path=/", "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : []), `Max-Age=${token ? maxAgeSeconds : 0}`].join("; ");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The caller of `request`, or AUTH_REQUIRED; CSRF_TOKEN_INVALID for a cookie write without its token. */
export async function authenticate(request: FastifyRequest, users: UserStore): Promise<Caller> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const key = /^Bearer (\S+)$/.exec(authorization)?.[1];
    const user = key === undefined ? undefined : await users.apiKeyUser(key);
    if (!user) throw new OrchestraError("AUTH_REQUIRED", "the API key is malformed, unknown or revoked");
    return { user, via: { kind: "api-key" } };
  }
  const token = readCookie(request.headers.cookie, SESSION_COOKIE);
  const session = token ? await users.session(token) : undefined;
  if (!token || !session) throw new OrchestraError("AUTH_REQUIRED", "log in first: no session, or it ended (logged out, idle too long or too old)");
  if (request.method !== "GET" && request.method !== "HEAD") {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== "string" || !sameText(sent, session.csrfToken)) {
      throw new OrchestraError("CSRF_TOKEN_INVALID", `a change made with a session cookie needs the session's ${CSRF_HEADER} header`);
    }
  }
  return { user: session.user, via: { kind: "session", token, csrfToken: session.csrfToken } };
}

/** Refuse a caller who is not an admin. */
export function requireAdmin(caller: Caller): void {
  if (!caller.user.admin) throw new OrchestraError("ACCESS_DENIED", `${caller.user.name} is not an admin: only admins see and drive machines`);
}

/** The account a caller may see: `asked` for an admin (undefined = all), their own otherwise (another is refused). */
export function visibleAccount(caller: Caller, asked: string | undefined): string | undefined {
  if (caller.user.admin) return asked;
  if (asked !== undefined && asked !== caller.user.account) throw new OrchestraError("ACCESS_DENIED", `${caller.user.name} sees only account ${caller.user.account}`);
  return caller.user.account ?? undefined;
}

/** Answer an error in the one JSON shape every dashboard API error has. */
export function sendError(reply: FastifyReply, error: OrchestraError): FastifyReply {
  return reply.code(error.status).type("application/json").send({ error: { code: error.code, message: error.message } });
}
