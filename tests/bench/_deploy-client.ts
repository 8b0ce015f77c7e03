/**
 * The client side of deploy-overhead.ts, in a worker thread so that its work (SigV4
 * signing, XML parsing, the simulated nodes' HTTP) does not run on the server's event loop:
 * the EC2 client, the simulated nodes, and the rounds against Orchestra and moto.
 *
 * Messages in: `target` (an Orchestra or moto endpoint), `powered` (the fake driver
 * power-cycled a machine: its node boots), `round`, `stop`. Out: `done` with a round's
 * figures, or `error`. Times are absolute milliseconds (timeOrigin + now), comparable
 * across threads.
 */
import { type MessagePort, parentPort } from "node:worker_threads";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, type Instance } from "@aws-sdk/client-ec2";
import { Agent as HttpAgent } from "node:http";
import { Agent, fetch as undiciFetch } from "undici";

export type Mode = "one call" | "N calls";

/** The steps a node's deployment is timed in; `download` is the node's own time. */
export const STEPS = ["bootScript", "plan", "download", "seedConfig", "progress", "report", "rebootScript", "seed", "booted", "toRunning"] as const;
export type Step = (typeof STEPS)[number];

export type ClientMessage =
  | { type: "target"; kind: "orchestra" | "moto"; endpoint: string; bootBase?: string; imageId: string; key: { accessKeyId: string; secretAccessKey: string }; region: string }
  | { type: "powered"; mac: string; at: number }
  | { type: "round"; n: number; mode: Mode }
  | { type: "floor"; requests: number }
  | { type: "stop" };

/** One deployment on Orchestra, as the client and its node saw it. */
export interface DeploymentTimes {
  readonly sentAt: number;
  readonly answeredAt: number;
  /** When the fake driver power-cycled the machine (the node's first call follows). */
  readonly poweredAt: number;
  /** When DescribeInstances first said running. */
  readonly runningAt: number;
  readonly steps: Record<Step, number>;
  readonly bootScriptCalls: number;
  /** HTTP requests this deployment made to Orchestra (the EC2 calls and the node's; the image's too unless nginx serves it). */
  readonly requests: number;
}

/** What a round answers: Orchestra's deployments, or moto's per-instance times (RunInstances sent → running). */
export type RoundResult = { kind: "orchestra"; deployments: DeploymentTimes[] } | { kind: "moto"; perInstance: number[] } | { kind: "floor"; requests: number };

export type ServerMessage = { type: "done"; result: RoundResult } | { type: "error"; message: string };

const POLL_MS = 20;
const STEP_DEADLINE_MS = 60_000;
const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `check` every POLL_MS until it answers a value; throws after `deadlineMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = STEP_DEADLINE_MS): Promise<T> {
  const until = clock() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (clock() > until) throw new Error(`${what}: not done within ${deadlineMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

async function checked(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${response.url} ${await response.text()}`);
  return response;
}

async function instanceStates(client: EC2Client, ids: readonly string[]): Promise<Map<string, string>> {
  const result = await client.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
  const instances: Instance[] = (result.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  return new Map(instances.map((i) => [i.InstanceId!, i.State?.Name ?? ""]));
}

interface Launch {
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly instanceIds: string[];
}

/** One RunInstances of `n`, or `n` RunInstances of one at once. */
async function launch(client: EC2Client, imageId: string, n: number, mode: Mode): Promise<Launch[]> {
  const one = async (count: number): Promise<Launch> => {
    const sentAt = clock();
    const run = await client.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: "t2.micro", MinCount: count, MaxCount: count }));
    return { sentAt, answeredAt: clock(), instanceIds: run.Instances!.map((i) => i.InstanceId!) };
  };
  return mode === "one call" ? [await one(n)] : Promise.all(Array.from({ length: n }, () => one(1)));
}

interface NodeRun {
  readonly instanceId: string;
  readonly poweredAt: number;
  readonly runningAt: number;
  readonly steps: Record<Step, number>;
  readonly bootScriptCalls: number;
  /** The node's HTTP requests and its client's DescribeInstances calls. */
  readonly requests: number;
}

/**
 * The calls a real node makes from power-on to cloud-init's phone_home, timed step by
 * step, then the client's DescribeInstances until it says running.
 */
async function simulateNode(bootBase: string, mac: string, poweredAt: number, client: EC2Client): Promise<NodeRun> {
  // Each node calls from an address of its own (all of 127/8 is loopback on Linux), as on a
  // real network: the server binds node tokens and NoCloud seeds to the first address that uses them.
  const [hi, lo] = mac.split(":").slice(4).map((byte) => Number.parseInt(byte, 16));
  const dispatcher = new Agent({ localAddress: `127.${10 + hi!}.${lo}.2` });
  let requests = 0;
  const fetch = async (url: string, init: Parameters<typeof undiciFetch>[1] = {}) => {
    if (url.startsWith(bootBase)) requests++; // not the image when nginx serves it
    return (await undiciFetch(url, { ...init, dispatcher })) as unknown as Response;
  };
  try {
    const run = await simulateNodeFrom(fetch, bootBase, mac, poweredAt, client);
    return { ...run, requests: run.requests + requests };
  } finally {
    await dispatcher.close();
  }
}

async function simulateNodeFrom(fetch: (url: string, init?: Parameters<typeof undiciFetch>[1]) => Promise<Response>, bootBase: string, mac: string, poweredAt: number, client: EC2Client): Promise<NodeRun> {
  const steps = {} as Record<Step, number>;
  const timed = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
    const started = clock();
    try {
      return await work();
    } finally {
      steps[step] = (steps[step] ?? 0) + (clock() - started);
    }
  };
  // iPXE asks for the machine's script (MAC in hexhyp form, as iPXE writes it); a deploying machine gets the deploy ramdisk with its token.
  const bootScriptUrl = `${bootBase}/boot/${mac.replaceAll(":", "-")}.ipxe`;
  let bootScriptCalls = 0;
  const script = await waitFor(`boot script of ${mac}`, async () => {
    bootScriptCalls++;
    const text = await timed("bootScript", async () => (await checked(await fetch(bootScriptUrl), "boot script")).text());
    return /orchestra\.token=/.test(text) ? text : undefined;
  });
  const base = /orchestra\.url=(\S+)/.exec(script)![1]!;
  const token = /orchestra\.token=(\S+)/.exec(script)![1]!;
  // The deploy ramdisk (lib/images/deploy-script.ts): plan, image, progress, report.
  const planText = await timed("plan", async () => (await checked(await fetch(`${base}/deploy/${token}/plan`), "plan")).text());
  const plan = Object.fromEntries(planText.split("\n").filter((line) => line.includes("=")).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
  // The whole image is read; hashing it is the node's CPU, left out so as not to load this machine.
  const bytes = await timed("download", async () => {
    const response = await checked(await fetch(plan.IMAGE_URL!), "image");
    let size = 0;
    for await (const chunk of response.body!) size += chunk.length;
    return size;
  });
  if (String(bytes) !== plan.IMAGE_BYTES) throw new Error(`image of ${mac}: ${bytes} bytes downloaded, the plan says ${plan.IMAGE_BYTES}`);
  const form = { "content-type": "application/x-www-form-urlencoded" };
  await timed("progress", async () => void (await checked(await fetch(plan.PROGRESS_URL!, { method: "POST", headers: form, body: `bytes=${bytes}` }), "progress")).arrayBuffer());
  // The seed file the ramdisk writes into the root file system: where cloud-init will read its metadata.
  // The plan carries it at its end (SEED_CONFIG_LINES), as the ramdisk reads it; a server without that is asked for it.
  const seedConfig = plan.SEED_CONFIG_LINES
    ? planText.split("\n").slice(-1 - Number(plan.SEED_CONFIG_LINES), -1).join("\n")
    : await timed("seedConfig", async () => (await checked(await fetch(plan.SEED_CONFIG_URL!), "seed config")).text());
  steps.seedConfig ??= 0;
  const seedUrl = /seedfrom: "([^"]+)"/.exec(seedConfig)![1]!;
  const log = `deploying ${plan.IMAGE_ID} (${plan.IMAGE_FORMAT}, ${plan.IMAGE_BYTES} bytes) to ${plan.DISK} on ${plan.SYSTEM_ID}\nimage written and verified (SHA-256 ${plan.IMAGE_SHA256})\ncloud-init seed written\n`;
  await timed("report", async () => void (await checked(await fetch(`${plan.REPORT_URL}?status=success`, { method: "POST", headers: { "content-type": "text/plain" }, body: `deployed ${plan.IMAGE_ID} to ${plan.DISK}\n${log}` }), "report")).arrayBuffer());
  // The reboot: iPXE asks again and is sent to the local disk.
  const again = await timed("rebootScript", async () => (await checked(await fetch(bootScriptUrl), "boot script after the reboot")).text());
  if (!again.includes("local disk")) throw new Error(`${mac} was not sent to its disk after its report:\n${again}`);
  // The deployed system's cloud-init: the NoCloud seed, then phone_home.
  const metaData = await timed("seed", async () => {
    const [meta] = await Promise.all(["meta-data", "user-data", "vendor-data"].map(async (file) => (await checked(await fetch(`${seedUrl}${file}`), file)).text()));
    return meta!;
  });
  const instanceId = /instance-id: (\S+)/.exec(metaData)![1]!;
  const hostname = /local-hostname: (\S+)/.exec(metaData)![1]!;
  await timed("booted", async () => void (await checked(await fetch(plan.BOOTED_URL!, { method: "POST", headers: form, body: `instance_id=${instanceId}&hostname=${hostname}` }), "booted")).arrayBuffer());
  // The client, as soon as the node has phoned home.
  let describeCalls = 0;
  await timed("toRunning", () => waitFor(`${instanceId} running`, async () => (describeCalls++, (await instanceStates(client, [instanceId])).get(instanceId) === "running" ? true : undefined)));
  return { instanceId, poweredAt, runningAt: clock(), steps, bootScriptCalls, requests: describeCalls };
}

let target: Extract<ClientMessage, { type: "target" }> | undefined;
let client: EC2Client | undefined;
let nodes: Promise<NodeRun>[] = [];

async function orchestraRound(n: number, mode: Mode): Promise<RoundResult> {
  nodes = [];
  const launches = await launch(client!, target!.imageId, n, mode);
  await waitFor(`${n} machines powered on`, async () => (nodes.length >= n ? true : undefined));
  const runs = await Promise.all(nodes);
  nodes = [];
  const byInstance = new Map(launches.flatMap((l) => l.instanceIds.map((id) => [id, l] as const)));
  const deployments = runs.map((run): DeploymentTimes => {
    const call = byInstance.get(run.instanceId);
    if (!call) throw new Error(`a node deployed ${run.instanceId}, which this round did not launch`);
    // A RunInstances of N counts for each of its N deployments as 1/N request.
    const launchShare = 1 / call.instanceIds.length;
    return { sentAt: call.sentAt, answeredAt: call.answeredAt, poweredAt: run.poweredAt, runningAt: run.runningAt, steps: run.steps, bootScriptCalls: run.bootScriptCalls, requests: run.requests + launchShare };
  });
  return { kind: "orchestra", deployments };
}

/** moto: RunInstances, then DescribeInstances until every instance is running. No deployment happens at all. */
async function motoRound(n: number, mode: Mode): Promise<RoundResult> {
  const perInstance: number[] = [];
  const one = async (count: number) => {
    const [call] = await launch(client!, target!.imageId, count, "one call");
    const waiting = new Set(call!.instanceIds);
    await waitFor("moto instances running", async () => {
      for (const [id, state] of await instanceStates(client!, [...waiting])) {
        if (state === "running" && waiting.delete(id)) perInstance.push(clock() - call!.sentAt);
      }
      return waiting.size === 0 ? true : undefined;
    });
  };
  await (mode === "one call" ? one(n) : Promise.all(Array.from({ length: n }, () => one(1))));
  return { kind: "moto", perInstance };
}

/**
 * The floor: `requests` GETs of the boot listener's /healthz (one `SELECT 1`, logged only on
 * failure) one after another over one kept-alive connection: what the server's HTTP layer
 * costs per request with nearly nothing to do.
 */
async function floorRound(requests: number): Promise<RoundResult> {
  const dispatcher = new Agent({ connections: 1 });
  try {
    for (let i = 0; i < requests; i++) await checked((await undiciFetch(`${target!.bootBase}/healthz`, { dispatcher })) as unknown as Response, "healthz").then((r) => r.arrayBuffer());
  } finally {
    await dispatcher.close();
  }
  return { kind: "floor", requests };
}

/** Answer the bench's messages on `port` (the worker's parent port). */
function listen(port: MessagePort): void {
  const reply = (message: ServerMessage) => port.postMessage(message);
  port.on("message", (message: ClientMessage) => {
    switch (message.type) {
      case "target":
        client?.destroy();
        target = message;
        // At most 32 connections: the server caps one source at 64 (connection-limits.ts), and 50
        // RunInstances with 50 DescribeInstances polls in flight went past it (socket hang up).
        client = new EC2Client({ endpoint: message.endpoint, region: message.region, credentials: message.key, maxAttempts: 1, requestHandler: { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 32 }) } });
        break;
      case "powered": {
        const run = simulateNode(target!.bootBase!, message.mac, message.at, client!);
        run.catch(() => undefined); // the round awaits it; this only keeps an early failure from counting as unhandled
        nodes.push(run);
        break;
      }
      case "round":
        (target!.kind === "orchestra" ? orchestraRound(message.n, message.mode) : motoRound(message.n, message.mode)).then(
          (result) => reply({ type: "done", result }),
          (error: unknown) => reply({ type: "error", message: (error as Error).stack ?? String(error) }),
        );
        break;
      case "floor":
        floorRound(message.requests).then(
          (result) => reply({ type: "done", result }),
          (error: unknown) => reply({ type: "error", message: (error as Error).stack ?? String(error) }),
        );
        break;
      case "stop":
        client?.destroy();
        port.close();
        break;
    }
  });
}

// Started as the bench's worker, it serves; imported by the bench (for STEPS and the types), it does nothing.
if (parentPort) listen(parentPort);
