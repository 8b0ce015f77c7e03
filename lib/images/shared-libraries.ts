/**
 * @module images/shared-libraries
 * What a dynamically linked program needs to run in the ramdisk: its shared libraries and
 * loader, as ldd(1) resolves them on the build host. ldd's output is parsed here only.
 */
import { execa } from "execa";
import { OrchestraError } from "../errors.ts";

/** The absolute paths of the libraries and loader in ldd's output (the vDSO has no file). */
export function parseLdd(text: string): string[] {
  const paths: string[] = [];
  for (const line of text.split("\n")) {
    const resolved = /=>\s+(\/\S+)\s+\(0x/.exec(line);
    const direct = /^\s*(\/\S+)\s+\(0x/.exec(line);
    const path = resolved?.[1] ?? direct?.[1];
    if (path) paths.push(path);
    else if (/=>\s+not found/.test(line)) throw new OrchestraError("PREREQUISITE_MISSING", `a shared library is missing on this host: ${line.trim()}`);
  }
  return [...new Set(paths)];
}

/** The shared libraries (and loader) `program` needs. */
export async function sharedLibraries(program: string): Promise<string[]> {
  const result = await execa("ldd", [program], { reject: false });
  if (result.exitCode !== 0) throw new OrchestraError("PREREQUISITE_MISSING", `ldd cannot read ${program}: ${result.stderr.trim()}`, { program });
  return parseLdd(result.stdout);
}
