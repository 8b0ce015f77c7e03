/**
 * @module charm/runtime
 * Where the orchestra code and the Node binary come from: the packed charm's bin/node and
 * dist/orchestra.js, or, run from a source checkout, this Node and lib/cli/main.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OrchestraRuntime } from "./workloads/workload.ts";

/**
 * The runtime for a charm directory. ORCHESTRA_CHARM_CLI replaces the CLI used for actions
 * and status (tests point it at a stand-in); the service itself always runs the real entry.
 */
export function resolveRuntime(charmDir: string, env: NodeJS.ProcessEnv = process.env): OrchestraRuntime {
  const bundledNode = join(charmDir, "bin", "node");
  const bundledEntry = join(charmDir, "dist", "orchestra.js");
  const packed = existsSync(bundledNode) && existsSync(bundledEntry);
  const node = packed ? bundledNode : process.execPath;
  const entry = packed ? bundledEntry : join(charmDir, "lib", "cli", "main.ts");
  const cli = env.ORCHESTRA_CHARM_CLI ? [env.ORCHESTRA_CHARM_CLI] : [node, entry];
  return { node, entry, packed, cli };
}
