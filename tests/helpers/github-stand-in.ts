/**
 * A GitHub STAND-IN: there is no internet here, so this local HTTP server on loopback speaks
 * the few REST endpoints Orchestra calls (list branches with pagination, the tarball redirect
 * and download, a user's public keys) the way api.github.com does, and Octokit is pointed at
 * it with `baseUrl`, exactly as it would be at GitHub Enterprise. It can also misbehave on
 * demand: be down, refuse the token, rate-limit, or answer garbage.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { execa } from "execa";

/** How the stand-in behaves for the next requests. */
export type StandInMode = "ok" | "down" | "bad-token" | "rate-limit-reset" | "rate-limit-retry-after" | "malformed-branches" | "malformed-tarball";

/** A branch: its files; its commit sha is derived from them. */
export type BranchFiles = Record<string, string>;

export interface GithubStandIn {
  readonly baseUrl: string;
  /** The request handler, to serve the same stand-in elsewhere too (a lab namespace: tests/helpers/lab-site-services.ts). */
  readonly handler: RequestListener;
  /** "owner/name" → branch → files. */
  readonly repos: Map<string, Map<string, BranchFiles>>;
  /** user → OpenSSH public keys. */
  readonly users: Map<string, string[]>;
  mode: StandInMode;
  /** The token requests must carry (`Authorization: token …`). */
  token: string | undefined;
  /** Branches per page (to exercise pagination). */
  pageSize: number;
  /** Request paths seen, in order. */
  readonly requests: string[];
  /** The sha a branch's files get. */
  shaOf(files: BranchFiles): string;
  close(): Promise<void>;
}

function shaOf(files: BranchFiles): string {
  return createHash("sha1").update(JSON.stringify(Object.entries(files).sort())).digest("hex");
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}

/** Start the stand-in on 127.0.0.1 (a free port). */
export async function startGithubStandIn(): Promise<GithubStandIn> {
  const work = mkdtempSync(join(tmpdir(), "orchestra-github-stand-in-"));
  const state = { mode: "ok" as StandInMode, token: undefined as string | undefined, pageSize: 100 };
  const repos = new Map<string, Map<string, BranchFiles>>();
  const users = new Map<string, string[]>();
  const requests: string[] = [];
  let baseUrl = "";

  async function tarball(owner: string, repo: string, sha: string): Promise<Buffer> {
    const files = [...(repos.get(`${owner}/${repo}`) ?? new Map<string, BranchFiles>()).values()].find((f) => shaOf(f) === sha);
    if (!files) throw new Error("no such commit");
    const top = `${owner}-${repo}-${sha.slice(0, 7)}`;
    const root = mkdtempSync(join(work, "tar-"));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, top, path)), { recursive: true });
      writeFileSync(join(root, top, path), String(content));
    }
    const result = await execa("tar", ["-cz", "-C", root, top], { encoding: "buffer" });
    rmSync(root, { recursive: true, force: true });
    return Buffer.from(result.stdout);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Links point back where the client reached this server (loopback here, a relay elsewhere).
    const base = request.headers.host ? `http://${request.headers.host}` : baseUrl;
    const url = new URL(request.url ?? "/", base);
    requests.push(url.pathname);
    if (state.mode === "down") {
      request.socket.destroy();
      return;
    }
    if (state.mode === "rate-limit-reset") return json(response, 403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600) });
    if (state.mode === "rate-limit-retry-after") return json(response, 429, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "120" });
    if (state.token !== undefined && !url.pathname.startsWith("/_codeload/")) {
      const given = String(request.headers.authorization ?? "").replace(/^(?:token|bearer) /i, "");
      if (given !== state.token || state.mode === "bad-token") return json(response, 401, { message: "Bad credentials" });
    }
    let match = /^\/repos\/([^/]+)\/([^/]+)\/branches$/.exec(url.pathname);
    if (match) {
      const branches = repos.get(`${match[1]}/${match[2]}`);
      if (!branches) return json(response, 404, { message: "Not Found" });
      if (state.mode === "malformed-branches") return json(response, 200, [{ name: "production", commit: { sha: "not-a-sha" } }]);
      const all = [...branches].map(([name, files]) => ({ name, commit: { sha: shaOf(files), url: `${base}/repos/x` }, protected: false }));
      const perPage = Math.min(state.pageSize, Number(url.searchParams.get("per_page") ?? 30));
      const page = Number(url.searchParams.get("page") ?? 1);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) {
        const next = new URL(url);
        next.searchParams.set("per_page", String(perPage));
        next.searchParams.set("page", String(page + 1));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return json(response, 200, slice, headers);
    }
    match = /^\/repos\/([^/]+)\/([^/]+)\/tarball\/([0-9a-f]{40})$/.exec(url.pathname);
    if (match) {
      // As GitHub does: a redirect to the archive host.
      response.writeHead(302, { location: `${base}/_codeload/${match[1]}/${match[2]}/tar.gz/${match[3]}` });
      response.end();
      return;
    }
    match = /^\/_codeload\/([^/]+)\/([^/]+)\/tar\.gz\/([0-9a-f]{40})$/.exec(url.pathname);
    if (match) {
      if (state.mode === "malformed-tarball") {
        response.writeHead(200, { "content-type": "application/x-gzip" });
        response.end(Buffer.from("this is not a gzip stream"));
        return;
      }
      const body = await tarball(match[1]!, match[2]!, match[3]!).catch(() => undefined);
      if (!body) return json(response, 404, { message: "Not Found" });
      response.writeHead(200, { "content-type": "application/x-gzip", "content-length": String(body.length) });
      response.end(body);
      return;
    }
    match = /^\/users\/([^/]+)\/keys$/.exec(url.pathname);
    if (match) {
      const keys = users.get(match[1]!);
      if (!keys) return json(response, 404, { message: "Not Found" });
      return json(response, 200, keys.map((key, id) => ({ id: id + 1, key })));
    }
    json(response, 404, { message: "Not Found" });
  }

  const handler: RequestListener = (request, response) => {
    handle(request, response).catch((error: Error) => json(response, 500, { message: error.message }));
  };
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    baseUrl,
    handler,
    repos,
    users,
    requests,
    shaOf,
    get mode() { return state.mode; },
    set mode(value) { state.mode = value; },
    get token() { return state.token; },
    set token(value) { state.token = value; },
    get pageSize() { return state.pageSize; },
    set pageSize(value) { state.pageSize = value; },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
