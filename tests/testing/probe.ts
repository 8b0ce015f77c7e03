/** Helpers to run the probe charm through a Context and read what each step returned. */
import { join } from "node:path";
import { Context, type CharmEvent, type Output, type State } from "../../lib/testing/index.ts";

export const probeDir = join(import.meta.dirname, "probe-charm");

export interface StepResult {
  step: string;
  result?: unknown;
  error?: string;
  message?: string;
}

/** A Context for the probe charm that runs `steps`. */
export function probeContext(steps: unknown[][], options: { unitId?: number; jujuVersion?: string } = {}): Context {
  return new Context({
    charmDir: probeDir,
    command: [process.execPath, join(probeDir, "charm.ts")],
    env: { PROBE_STEPS: JSON.stringify(steps) },
    ...options,
  });
}

/** Runs the steps and returns the Output and each step's result. */
export async function runProbe(steps: unknown[][], event: CharmEvent, input: State, options: { unitId?: number; jujuVersion?: string; unchecked?: boolean } = {}): Promise<{ out: Output; results: StepResult[] }> {
  const { unchecked: _unchecked, ...contextOptions } = options;
  const ctx = probeContext(steps, contextOptions);
  const out = options.unchecked ? await ctx.runUnchecked(event, input) : await ctx.run(event, input);
  const results = out.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as StepResult);
  return { out, results };
}
