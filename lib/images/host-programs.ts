/**
 * @module images/host-programs
 * Finding the host's programs an image build runs, before it starts: a missing one is
 * reported with the Debian package to install, not found out minutes into a build.
 */
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { OrchestraError } from "../errors.ts";

/** A program and the Debian package that ships it. */
export interface HostProgram {
  readonly program: string;
  readonly debianPackage: string;
}

// mkfs.* and sfdisk live in /usr/sbin, which a non-root PATH often lacks.
const SBIN = ["/usr/sbin", "/sbin"];

/** The absolute path of `program` on PATH or in sbin, or undefined. */
export async function findProgram(program: string, path = process.env.PATH ?? ""): Promise<string | undefined> {
  for (const dir of [...path.split(delimiter).filter(Boolean), ...SBIN]) {
    const candidate = join(dir, program);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** Each program's absolute path; PREREQUISITE_MISSING naming every missing package at once. */
export async function requirePrograms(programs: readonly HostProgram[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const missing: HostProgram[] = [];
  for (const p of programs) {
    const path = await findProgram(p.program);
    if (path) found[p.program] = path;
    else missing.push(p);
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((m) => m.debianPackage))];
    throw new OrchestraError("PREREQUISITE_MISSING", `${missing.map((m) => m.program).join(", ")} not found: apt-get install ${packages.join(" ")}`, { programs: missing.map((m) => m.program), packages });
  }
  return found;
}
