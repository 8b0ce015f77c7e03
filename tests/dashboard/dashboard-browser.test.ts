/**
 * The dashboard in Debian's chromium, driven headless by puppeteer-core (no browser is
 * downloaded), against a real `orchestra serve` and the real AWS CLI. One browser for the
 * whole file. Machines use the `fake` power driver (test only): it finishes commissioning at
 * once, so what the page shows is the store's state, not a power step's timing.
 * Screenshots of the main pages go to docs/dashboard/ (docs/dashboard.md shows them).
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { execa } from "execa";
import puppeteer, { type Browser, type BrowserContext, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES } from "../../lib/ec2/model/image-catalogue.ts";
import { openStore } from "../../lib/store/open-store.ts";
import { startOrchestra, type OrchestraProcess } from "../ec2/helpers/orchestra-process.ts";
import { freeTcpPort } from "../helpers/free-port.ts";

// The callbacks below run in the page, not in Node: the project compiles without the DOM
// library (it would change Node's own fetch types), so the page's globals are declared here.
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: unknown): { backgroundColor: string };
type HTMLElement = any;
type HTMLInputElement = any;
type HTMLAnchorElement = any;

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, "../../lib/cli/main.ts");
const SHOTS = resolve(import.meta.dirname, "../../docs/dashboard");
const AXE = readFileSync(resolve(import.meta.dirname, "../../node_modules/axe-core/axe.min.js"), "utf8");
const IMAGE = IMAGES.find((i) => i.name.includes("noble") && i.architecture === "x86_64")!.imageId;
const XSS = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>";

let orchestra: OrchestraProcess;
let browser: Browser;
let page: Page;
let base: string;

/** `orchestra users create NAME ...` with the password on standard input. */
async function createUser(name: string, password: string, ...role: string[]): Promise<void> {
  await execa(process.execPath, [MAIN, "--data-dir", orchestra.dataDir, "users", "create", name, ...role], { input: `${password}\n` });
}

/** The AWS CLI with one access key, against the server's EC2 endpoint. */
function aws(key: { id: string; secret: string }, ...args: string[]) {
  const env = { PATH: "/usr/bin:/bin", HOME: orchestra.dataDir, AWS_ACCESS_KEY_ID: key.id, AWS_SECRET_ACCESS_KEY: key.secret, AWS_DEFAULT_REGION: orchestra.region, AWS_CONFIG_FILE: join(orchestra.dataDir, "none"), AWS_SHARED_CREDENTIALS_FILE: join(orchestra.dataDir, "none"), AWS_PAGER: "", AWS_MAX_ATTEMPTS: "1" };
  return run("/usr/bin/aws", ["ec2", ...args, "--endpoint-url", orchestra.endpoint, "--output", "json"], { env, encoding: "utf8" });
}

/** Serious and critical accessibility violations axe-core finds on the page as it is now. */
async function axeViolations(p: Page): Promise<string[]> {
  if (!(await p.evaluate(() => "axe" in window))) await p.evaluate(AXE);
  const result = await p.evaluate(async () => (window as any).axe.run(document, { resultTypes: ["violations"] }));
  return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function shot(p: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await p.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png`, fullPage });
}

async function logIn(p: Page, user: string, password: string): Promise<void> {
  await p.goto(`${base}/`);
  await p.waitForSelector("#login");
  // By keyboard, as an operator without a mouse would.
  await p.focus("#user");
  await p.keyboard.type(user);
  await p.keyboard.press("Tab");
  await p.keyboard.type(password);
  await p.keyboard.press("Enter");
}

/** The status a machine's row shows in the list. */
function rowStatus(p: Page, hostname: string): Promise<string | null> {
  return p.evaluate((h) => [...document.querySelectorAll("tr[data-system-id]")].find((r) => r.querySelector("a")?.textContent === h)?.querySelector("[data-status]")?.getAttribute("data-status") ?? null, hostname);
}

beforeAll(async () => {
  const port = await freeTcpPort();
  base = `http://127.0.0.1:${port}`;
  orchestra = await startOrchestra({ serveArgs: ["--dashboard-listen", `127.0.0.1:${port}`] });
  await createUser("alice", "correct horse", "--admin");
  await createUser("bob", "battery staple", "--account", "team1");
  for (const [n, hostname, tag] of [[1, "web-1", "web"], [2, "web-2", "web"], [3, "db-1", "db"]] as const) {
    await orchestra.cli(["machines", "add", "--mac", `52:54:00:fe:00:0${n}`, "--hostname", hostname, "--cpus", "8", "--memory-mib", "16384", "--disk-gib", "200", "--tag", tag, "--zone", "default", "--power-type", "fake"]);
  }
  await orchestra.addMachines(2, { tags: ["pool"] });
  await orchestra.cli(["machines", "add", "--mac", "52:54:00:fe:00:09", "--hostname", "bmc-1", "--tag", "ipmi", "--power-type", "ipmi", "--power-param", "address=192.0.2.10", "--power-param", "username=admin", "--power-param", "password=hunter22secret"]);
  browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on("dialog", (dialog) => void dialog.accept(dialog.type() === "prompt" ? "fan failure" : undefined));
});

afterAll(async () => {
  await browser?.close();
  await orchestra?.stop();
});

describe("the dashboard in chromium", () => {
  it("refuses a wrong password in place, then logs in", async () => {
    await logIn(page, "alice", "wrong password");
    await page.waitForSelector("#login-error .error");
    expect(await page.$eval("#login-error", (e) => e.textContent)).toContain("LOGIN_FAILED");
    await shot(page, "login");
    await page.$eval("#user", (e) => ((e as HTMLInputElement).value = ""));
    await logIn(page, "alice", "correct horse");
    await page.waitForSelector("table.machines");
    expect(await page.$eval("#who", (e) => e.textContent)).toContain("alice");
  });

  it("filters the machine list on the server, and has no serious accessibility violation", async () => {
    await page.waitForFunction(() => document.querySelector("#machine-count")?.textContent?.startsWith("6 machines"));
    await page.type("#f-q", "web");
    await page.waitForFunction(() => document.querySelector("#machine-count")?.textContent?.startsWith("2 machines"));
    const names = await page.$$eval("tr[data-system-id] a", (links) => links.map((a) => a.textContent));
    expect(names).toEqual(["web-1", "web-2"]);
    await page.select("#f-status", "ready");
    await page.waitForFunction(() => document.querySelector("#machine-count")?.textContent?.startsWith("0 machines"));
    await page.select("#f-status", "");
    await page.waitForFunction(() => document.querySelector("#machine-count")?.textContent?.startsWith("2 machines"));
    expect(await axeViolations(page)).toEqual([]);
  });

  it("accepts a fake machine, shows a CLI change live without a reload, and commissions it", async () => {
    await page.evaluate(() => ((window as any).sameDocument = true));
    await page.$$eval("tr[data-system-id]", (rows) => (rows.find((r) => r.querySelector("a")?.textContent === "web-1")!.querySelector("input") as HTMLInputElement).click());
    await page.click('button[data-action="accept"]');
    await page.waitForFunction(() => document.querySelector("#notice")?.textContent?.includes("accept: 1 done"));
    await page.waitForFunction((h) => [...document.querySelectorAll("tr[data-system-id]")].find((r) => r.querySelector("a")?.textContent === h)?.querySelector('[data-status="ready"]'), {}, "web-1");
    // Another process changes the store: the open page hears of it over SSE and re-reads.
    await orchestra.cli(["machines", "mark-broken", "web-1", "--reason", XSS]);
    await page.waitForFunction((h) => [...document.querySelectorAll("tr[data-system-id]")].find((r) => r.querySelector("a")?.textContent === h)?.querySelector('[data-status="broken"]'), { timeout: 5000 }, "web-1");
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
    await page.$$eval("tr[data-system-id]", (rows) => (rows.find((r) => r.querySelector("a")?.textContent === "web-1")!.querySelector("input") as HTMLInputElement).click());
    await page.click('button[data-action="commission"]');
    await page.waitForFunction((h) => [...document.querySelectorAll("tr[data-system-id]")].find((r) => r.querySelector("a")?.textContent === h)?.querySelector('[data-status="ready"]'), {}, "web-1");
    expect(await rowStatus(page, "web-2")).toBe("new");
    await page.$eval("#f-q", (e) => ((e as HTMLInputElement).value = ""));
    await page.type("#f-q", " ");
    await page.waitForFunction(() => document.querySelector("#machine-count")?.textContent?.startsWith("6 machines"));
    await shot(page, "machines");
  });

  it("reconnects after losing its connection and catches up on what changed meanwhile", async () => {
    // A loopback TCP relay in front of the dashboard, cut and restored by the test: a real
    // lost connection, as a restarted server or a network blip makes one.
    const target = Number(new URL(base).port);
    const sockets = new Set<Socket>();
    const relay = createServer((client) => {
      const upstream = connect(target, "127.0.0.1");
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => s.destroy());
        s.on("close", () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((done) => relay.listen(0, "127.0.0.1", done));
    const relayPort = (relay.address() as { port: number }).port;
    const viewer = await browser.newPage();
    try {
      await viewer.goto(`http://127.0.0.1:${relayPort}/#/machines`);
      await viewer.waitForFunction(() => document.querySelector("#live")?.textContent === "live" && document.querySelector("tr[data-system-id]"));
      await viewer.evaluate(() => ((window as any).sameDocument = true));
      // close() stops new connections; the open ones are cut by hand (close waits for them).
      const closed = new Promise<void>((done) => relay.close(() => done()));
      for (const s of sockets) s.destroy();
      await closed;
      await viewer.waitForFunction(() => document.querySelector("#live")?.textContent === "reconnecting…");
      await orchestra.cli(["machines", "update", "db-1", "--tag", "caught-up"]);
      await new Promise<void>((done) => relay.listen(relayPort, "127.0.0.1", done));
      await viewer.waitForFunction(() => document.querySelector("#live")?.textContent === "live", { timeout: 10_000 });
      await viewer.waitForFunction(() => [...document.querySelectorAll("tr[data-system-id]")].some((r: any) => r.textContent.includes("caught-up")), { timeout: 5000 });
      expect(await viewer.evaluate(() => (window as any).sameDocument)).toBe(true);
    } finally {
      await viewer.close();
      const closed = new Promise<void>((done) => relay.close(() => done()));
      for (const s of sockets) s.destroy();
      await closed;
    }
  });

  it("opens the machine page: events in order, hostile text shown as text, only the lifecycle's buttons", async () => {
    await page.$$eval("tr[data-system-id] a", (links) => (links.find((a) => a.textContent === "web-1") as HTMLAnchorElement).click());
    await page.waitForSelector("#events tbody tr");
    const events = await page.$$eval("#events tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent)));
    const reasons = events.map((e) => e[4]).reverse();
    expect(reasons[0]).toMatch(/added/);
    expect(reasons).toContain("accepted by the operator");
    expect(reasons.some((r) => r?.includes(XSS))).toBe(true);
    expect(events[0]![3]).toBe("ready");
    // The reason is text on the page, and nothing in it ran.
    expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
    expect(await page.$$eval("main script, main img", (n) => n.length)).toBe(0);
    // ready allows commission, mark broken, delete (and allocation, which is the API's): nothing else.
    expect(await page.$$eval("main [data-action]", (b) => b.map((x) => x.getAttribute("data-action")))).toEqual(["commission", "mark-broken", "delete"]);
    expect(await page.$eval("main", (m) => m.textContent)).toContain("fake (test only)");
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "machine", true);
  });

  it("shows a BMC's secret power parameters as ******** and never their value", async () => {
    await page.goto(`${base}/#/machines`);
    await page.waitForSelector("tr[data-system-id]");
    await page.$$eval("tr[data-system-id] a", (links) => (links.find((a) => a.textContent === "bmc-1") as HTMLAnchorElement).click());
    await page.waitForFunction(() => document.querySelector("main h1")?.textContent === "bmc-1");
    await page.waitForSelector("#pw");
    const power = await page.$eval("#pw", (h) => h.parentElement!.textContent);
    expect(power).toContain("192.0.2.10");
    expect(power).toContain("********");
    expect(await page.content()).not.toContain("hunter22secret");
    // new allows accept, mark broken and delete, not commission (accept is how a new machine starts it).
    expect(await page.$$eval("main [data-action]", (b) => b.map((x) => x.getAttribute("data-action")))).toEqual(["accept", "mark-broken", "delete"]);
  });

  it("creates a credential shown once, runs an instance with it through the AWS CLI that appears live, and revokes it", async () => {
    await page.goto(`${base}/#/credentials`);
    await page.waitForSelector("#create-credential");
    await page.click("#create-credential button[type=submit]");
    await page.waitForSelector("#new-secret");
    const [id, secret] = (await page.$eval("#new-secret", (e) => e.textContent!)).split(" ") as [string, string];
    expect(id).toMatch(/^[A-Z0-9]{16,}$/);
    await page.waitForSelector(`tr[data-key="${id}"]`);
    expect(await page.$eval("#credentials", (t) => t.textContent)).not.toContain(secret);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "credentials");

    await page.goto(`${base}/#/instances`);
    await page.waitForSelector("main h1");
    const launched = JSON.parse((await aws({ id, secret }, "run-instances", "--image-id", IMAGE, "--instance-type", "t2.micro", "--count", "1")).stdout);
    const instanceId = launched.Instances[0].InstanceId as string;
    await page.waitForSelector(`tr[data-instance-id="${instanceId}"]`, { timeout: 5000 });
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "instances");

    await page.goto(`${base}/#/credentials`);
    await page.waitForSelector(`tr[data-key="${id}"] button`);
    await page.click(`tr[data-key="${id}"] button`);
    await page.waitForFunction((k) => document.querySelector(`tr[data-key="${k}"] .revoked`)?.textContent !== "", {}, id);
    const refused = await aws({ id, secret }, "describe-instances").then(() => "accepted", (e: { stderr: string }) => e.stderr);
    expect(refused).toContain("AuthFailure");
  });

  it("shows the overview with counts per state, in the dark theme too", async () => {
    await page.goto(`${base}/#/`);
    await page.waitForSelector('[data-count="ready"]');
    expect(Number(await page.$eval('[data-count="new"]', (e) => e.textContent))).toBe(3);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "overview");
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(13, 17, 23)");
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "overview-dark");
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
  });

  it("refuses a write without the CSRF token, and another account's data to a non-admin", async () => {
    const csrf = await page.evaluate(async () => {
      const response = await fetch("/api/v1/machines/actions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action: "accept", machines: ["abcdef"] }) });
      return [response.status, ((await response.json()) as any).error.code];
    });
    expect(csrf).toEqual([403, "CSRF_TOKEN_INVALID"]);

    const context: BrowserContext = await browser.createBrowserContext();
    try {
      const bob = await context.newPage();
      await logIn(bob, "bob", "battery staple");
      await bob.waitForFunction(() => document.querySelector("#who")?.textContent?.startsWith("bob"));
      expect(await bob.$eval('a[href="#/machines"]', (a) => (a as HTMLElement).hidden)).toBe(true);
      await bob.waitForFunction(() => document.querySelector("main")?.textContent?.includes("No instances."));
      const refused = await bob.evaluate(async () => Promise.all(["/api/v1/machines", "/api/v1/instances?account=default", "/api/v1/credentials?account=default"].map(async (path) => ((await (await fetch(path)).json()) as any).error.code)));
      expect(refused).toEqual(["ACCESS_DENIED", "ACCESS_DENIED", "ACCESS_DENIED"]);
      // An expired session: its idle clock is put an hour back (test set-up), and the next request finds it ended.
      const db = await openStore(orchestra.dataDir);
      try {
        await db.run("UPDATE dashboard_sessions SET last_seen_at = $1 WHERE user_name = 'bob'", [new Date(Date.now() - 3600_000).toISOString()]);
      } finally {
        await db.close();
      }
      await bob.goto(`${base}/#/credentials`);
      await bob.waitForSelector("#login");
      expect(await bob.evaluate(async () => ((await (await fetch("/api/v1/session")).json()) as any).error.code)).toBe("AUTH_REQUIRED");
    } finally {
      await context.close();
    }
  });

  it("logs out, ending the session on the server", async () => {
    const cookie = (await page.cookies()).find((c) => c.name === "orchestra_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await page.click("#logout");
    await page.waitForSelector("#login");
    const replayed = await fetch(`${base}/api/v1/session`, { headers: { cookie: `orchestra_session=${cookie.value}` } });
    expect(replayed.status).toBe(401);
  });
});
