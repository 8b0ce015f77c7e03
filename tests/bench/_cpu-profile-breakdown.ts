/**
 * Where a thread's CPU went, from a `node --cpu-prof` profile: each sample is put in the
 * first category (in the order below) that any frame of its stack belongs to, so SQLite
 * called from the engine counts as SQLite, and a module being loaded counts as loading
 * whatever it runs. Prints the categories, then the functions with the most self time.
 *
 *   node --cpu-prof --cpu-prof-dir=DIR tests/bench/deploy-overhead.ts
 *   node tests/bench/_cpu-profile-breakdown.ts DIR/CPU.<...>.0.001.cpuprofile [deployments]
 *
 * (The profile whose name has thread id 0 is the main thread: the server's, in the deploy
 * benchmark.) With a deployment count, each category is also shown per deployment.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type Test = (frame: CallFrame) => boolean;
const inUrl =
  (...parts: string[]): Test =>
  (frame) =>
    parts.some((part) => frame.url.includes(part));
const named =
  (...names: string[]): Test =>
  (frame) =>
    names.includes(frame.functionName);

/** Categories, most specific first. */
const CATEGORIES: ReadonlyArray<[string, Test]> = [
  ["idle", named("(idle)")],
  ["garbage collection", named("(garbage collector)")],
  ["module loading", (f) => f.url.startsWith("node:internal/modules") || inUrl("/esbuild/", "typescript")(f) || named("compileSourceTextModule")(f)],
  ["bench setup (not per deployment)", (f) => inUrl("tests/deploy/deploy-fixture.ts")(f) || (f.url.endsWith("tests/bench/deploy-overhead.ts") && f.functionName === "prepareStore")],
  ["SQLite statements", inUrl("lib/store/sqlite-database.ts")],
  ["sealing and lookup keys (AES-GCM, HMAC)", inUrl("lib/store/secret-box.ts", "lib/store/store-secrets.ts")],
  ["image bytes (file sender)", inUrl("lib/boot/file-sender.ts", "lib/boot/serve-file.ts")],
  ["logging (pino)", inUrl("/node_modules/pino", "/node_modules/sonic-boom/", "/node_modules/fast-redact/", "/node_modules/pino-std-serializers/", "lib/server/log-redaction.ts")],
  ["EC2 API (SigV4, query, XML)", inUrl("lib/ec2/", "/node_modules/fast-xml-parser/")],
  ["metadata and NoCloud", inUrl("lib/metadata/")],
  ["lifecycle engine", inUrl("lib/engine/", "lib/power/")],
  ["fastify (routing, hooks, replies)", inUrl("/node_modules/fastify/", "/node_modules/find-my-way/", "/node_modules/avvio/", "/node_modules/@fastify/", "/node_modules/light-my-request/", "/node_modules/toad-cache/", "/node_modules/fast-json-stringify/", "/node_modules/secure-json-parse/")],
  ["Orchestra's own code (the rest of lib/)", inUrl("/lib/")],
  ["the bench's own code (main thread)", inUrl("/tests/bench/")],
  ["node:http, net, streams", (f) => /^node:(internal\/)?(_http|http|net|stream|internal\/streams|events|internal\/http)/.test(f.url)],
  ["native, V8 and other", () => true],
];

/** Milliseconds per category and per function's self time, for one profile. */
export function breakdown(profile: Profile): { categories: Map<string, number>; self: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const categoryOf = new Map<number, string>();
  const categorise = (id: number): string => {
    const known = categoryOf.get(id);
    if (known) return known;
    const frames: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at)!.callFrame);
    const name = CATEGORIES.find(([, test]) => frames.some(test))![0];
    categoryOf.set(id, name);
    return name;
  };
  const categories = new Map<string, number>();
  const self = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const category = categorise(id);
    categories.set(category, (categories.get(category) ?? 0) + ms);
    if (category === "idle") return;
    totalMs += ms;
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|lib|tests)\//, "$1/")}:${frame.lineNumber + 1}` : "(native)";
    const key = `${frame.functionName || "(anonymous)"} ${where}`;
    self.set(key, (self.get(key) ?? 0) + ms);
  });
  return { categories, self, totalMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, count] = process.argv.slice(2);
  if (!file) throw new Error("usage: _cpu-profile-breakdown.ts <profile.cpuprofile> [deployments]");
  const deployments = count ? Number(count) : undefined;
  const { categories, self, totalMs } = breakdown(JSON.parse(readFileSync(file, "utf8")) as Profile);
  const per = (ms: number) => (deployments ? ` | ${(ms / deployments).toFixed(2)} ms` : "");
  const lines = [`busy ${(totalMs / 1000).toFixed(2)} s (idle ${((categories.get("idle") ?? 0) / 1000).toFixed(2)} s)${deployments ? `, ${deployments} deployments: ${(totalMs / deployments).toFixed(2)} ms each` : ""}`, "", `| category | ms | share${deployments ? " | per deployment" : ""} |`, `| --- | ---: | ---: |${deployments ? " ---: |" : ""}`];
  for (const [name, ms] of [...categories].filter(([name]) => name !== "idle").sort((a, b) => b[1] - a[1])) {
    lines.push(`| ${name} | ${ms.toFixed(0)} | ${((100 * ms) / totalMs).toFixed(1)} %${per(ms)} |`);
  }
  lines.push("", "self time, top 30:");
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${name}`);
  process.stdout.write(lines.join("\n") + "\n");
}
