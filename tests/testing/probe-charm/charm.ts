/**
 * The probe charm: runs the hookenv calls listed in PROBE_STEPS (a JSON list of
 * [function, ...args]) and prints their results as JSON lines, so a test can drive the
 * fake hook tools through the real library in a real process.
 */
import * as hookenv from "../../../lib/hookenv/index.ts";

type Step = [string, ...unknown[]];

const steps = JSON.parse(process.env.PROBE_STEPS ?? "[]") as Step[];
for (const [name, ...args] of steps) {
  if (name === "exit") process.exit(Number(args[0]));
  if (name === "env") {
    process.stdout.write(`${JSON.stringify({ step: name, result: hookenv.readHookEnvironment() })}\n`);
    continue;
  }
  const fn = (hookenv as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name];
  if (typeof fn !== "function") throw new Error(`no hookenv function ${name}`);
  try {
    const result = await fn(...args);
    process.stdout.write(`${JSON.stringify({ step: name, result: result ?? null })}\n`);
  } catch (error) {
    const e = error as { code?: string; message: string };
    process.stdout.write(`${JSON.stringify({ step: name, error: e.code ?? "unknown", message: e.message })}\n`);
  }
}
