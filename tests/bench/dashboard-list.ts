// Dashboard benchmark: the machine list's first paint in Debian's chromium (headless, via
// puppeteer-core) with 10,000 fake (test-only) machines behind a real `orchestra serve`,
// beside the peer a naive UI would be: nginx serving one static HTML table of all 10,000
// machines, rendered in the same browser in the same run. Prints figures only; nothing is
// asserted. Needs chromium and nginx-light (tests/install-deps.sh).
// Run as: node tests/bench/dashboard-list.ts [machines]
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import puppeteer, { type Page } from "puppeteer-core";
import { Inventory } from "../../lib/inventory/index.ts";
import { openStore } from "../../lib/store/open-store.ts";


const COUNT = Number(process.argv[2] ?? 10_000);
const LOADS = 7;
const CLI = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), `orchestra-bench-dashboard-${process.pid}-`));
const children: ChildProcess[] = [];

function mac(i: number): string {
  const hex = i.toString(16).padStart(6, "0");
  return `52:54:02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Load `url` afresh `LOADS` times; first paint and when `selector` exists, in ms since navigation. */
async function measure(page: Page, url: string, selector: string): Promise<{ fcp: number; list: number }> {
  const fcp: number[] = [];
  const list: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto("about:blank");
    await page.goto(url, { waitUntil: "domcontentloaded" });
    await page.waitForSelector(selector, { timeout: 60_000 });
    const timing = await page.evaluate(() => {
      const paint = (globalThis as any).performance.getEntriesByName("first-contentful-paint")[0];
      return { fcp: paint ? paint.startTime : NaN, now: (globalThis as any).performance.now() };
    });
    // The list counts as painted at the next frame after its rows exist.
    const painted = await page.evaluate(() => new Promise<number>((resolve) => (globalThis as any).requestAnimationFrame(() => resolve((globalThis as any).performance.now()))));
    fcp.push(timing.fcp);
    list.push(painted);
  }
  return { fcp: median(fcp), list: median(list) };
}

try {
  const dataDir = join(work, "data");
  const db = await openStore(dataDir);
  const inventory = new Inventory(db);
  const added = performance.now();
  const rows: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const m = await inventory.addMachine({
      hostname: `bench-${String(i).padStart(5, "0")}`,
      interfaces: [{ mac: mac(i) }],
      cpus: 2 + (i % 31),
      memoryMib: 2048 * (1 + (i % 17)),
      disks: [{ sizeBytes: (100 + (i % 9) * 100) * 1024 ** 3 }],
      zone: `zone-${i % 4}`,
      tags: i % 3 === 0 ? ["ssd"] : [],
      power: { type: "fake" },
    });
    if (i % 2 === 0) await inventory.accept(m.systemId);
    rows.push(`<tr><td><input type="checkbox"></td><td><a href="#">${escapeHtml(m.hostname)}</a></td><td>${i % 2 === 0 ? "ready" : "new"}</td><td>fake</td><td>${m.zone}</td><td>${m.tags.join(", ")}</td><td>${m.cpus}</td><td>${m.memoryMib} MiB</td><td></td><td></td></tr>`);
  }
  await db.close();
  console.log(`${COUNT} fake (test-only) machines added in ${((performance.now() - added) / 1000).toFixed(1)} s`);
  await execa(process.execPath, [CLI, "--data-dir", dataDir, "users", "create", "bench", "--admin"], { input: "bench password\n" });

  const port = 41000 + Math.floor(Math.random() * 9000);
  const serve = spawn(process.execPath, [CLI, "--data-dir", dataDir, "serve", "--boot-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--dashboard-listen", `127.0.0.1:${port}`, "--log-level", "warn"], { stdio: ["ignore", "ignore", "inherit"] });
  children.push(serve);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/`);

  // The peer: one static page holding the whole table, served by nginx (one worker, sendfile).
  const peerDir = join(work, "nginx");
  mkdirSync(join(peerDir, "root"), { recursive: true, mode: 0o755 });
  // nginx's worker runs as an unprivileged user: it must reach the page through the temp dir.
  chmodSync(work, 0o755);
  chmodSync(peerDir, 0o755);
  writeFileSync(join(peerDir, "root", "machines.html"), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>machines</title></head><body><table id="all"><thead><tr><th></th><th>Hostname</th><th>Status</th><th>Power</th><th>Zone</th><th>Tags</th><th>CPUs</th><th>Memory</th><th>Owner</th><th>Instance</th></tr></thead><tbody>${rows.join("")}</tbody></table></body></html>`);
  const nginxPort = port + 1;
  writeFileSync(join(peerDir, "nginx.conf"), `worker_processes 1;\npid ${peerDir}/nginx.pid;\nerror_log ${peerDir}/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  sendfile on;\n  client_body_temp_path ${peerDir}/body; proxy_temp_path ${peerDir}/proxy; fastcgi_temp_path ${peerDir}/fastcgi; uwsgi_temp_path ${peerDir}/uwsgi; scgi_temp_path ${peerDir}/scgi;\n  types { text/html html; }\n  server { listen 127.0.0.1:${nginxPort}; location / { root ${peerDir}/root; } }\n}\n`);
  const nginx = spawn("nginx", ["-c", join(peerDir, "nginx.conf"), "-g", "daemon off;"], { stdio: "ignore" });
  children.push(nginx);
  await waitFor(`http://127.0.0.1:${nginxPort}/machines.html`).catch((error: Error) => {
    throw new Error(`${error.message}: ${readFileSync(join(peerDir, "error.log"), "utf8")}`);
  });

  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const login = await fetch(`${base}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "bench", password: "bench password" }) });
    const token = (login.headers.get("set-cookie") ?? "").split(";")[0]!.split("=")[1]!;
    await page.setCookie({ name: "orchestra_session", value: token, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Strict" });

    const api = async (query: string) => {
      const times: number[] = [];
      for (let i = 0; i < LOADS; i++) {
        const t = performance.now();
        await (await fetch(`${base}/api/v1/machines?${query}`, { headers: { cookie: `orchestra_session=${token}` } })).json();
        times.push(performance.now() - t);
      }
      return median(times);
    };
    const ours = await measure(page, `${base}/#/machines`, "tr[data-system-id]");
    const peer = await measure(page, `http://127.0.0.1:${nginxPort}/machines.html`, "#all tbody tr:last-child");
    console.log(`machine list with ${COUNT} machines, median of ${LOADS} fresh loads in headless chromium (ms since navigation):`);
    console.log(`  orchestra dashboard (50 a page, server-side paging): first contentful paint ${ours.fcp.toFixed(0)}, list painted ${ours.list.toFixed(0)}`);
    console.log(`  peer: nginx, one static table of all ${COUNT}:            first contentful paint ${peer.fcp.toFixed(0)}, list painted ${peer.list.toFixed(0)}`);
    console.log(`API GET /machines, median of ${LOADS} (ms): first page ${(await api("pageSize=50")).toFixed(1)}, status filter ${(await api("status=ready")).toFixed(1)}, free text ${(await api("q=bench-0999")).toFixed(1)}, tag + sort by memory desc ${(await api("tag=ssd&sort=memory&order=desc")).toFixed(1)}, last page ${(await api(`page=${Math.ceil(COUNT / 50)}`)).toFixed(1)}`);
  } finally {
    await browser.close();
  }
} finally {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGTERM");
  await sleep(500);
  rmSync(work, { recursive: true, force: true });
}
