/**
 * @module images/debian-packages
 * Questions to dpkg about installed packages, asked in one place so that its output is
 * parsed in one place.
 */
import { execa } from "execa";
import { OrchestraError } from "../errors.ts";

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

function checkPackage(name: string): void {
  if (!PACKAGE.test(name)) throw new OrchestraError("INVALID_ARGUMENT", `invalid Debian package name ${JSON.stringify(name)}`, { package: name });
}

/** The files an installed package ships. */
export async function packageFiles(name: string): Promise<string[]> {
  checkPackage(name);
  const result = await execa("dpkg-query", ["-L", name], { reject: false });
  if (result.exitCode !== 0) throw new OrchestraError("PREREQUISITE_MISSING", `Debian package ${name} is not installed (apt-get install ${name})`, { package: name });
  return result.stdout.split("\n").filter((line) => line.startsWith("/"));
}

/** The names of the packages an installed package depends on (alternatives and versions dropped). */
export async function packageDepends(name: string): Promise<string[]> {
  checkPackage(name);
  const result = await execa("dpkg-query", ["-W", "-f=${Depends}", name], { reject: false });
  if (result.exitCode !== 0) throw new OrchestraError("PREREQUISITE_MISSING", `Debian package ${name} is not installed (apt-get install ${name})`, { package: name });
  return result.stdout.split(",").map((dep) => dep.split("|")[0]!.trim().split(/\s/)[0]!).filter(Boolean);
}

/** The version of the kernel that the `linux-image-amd64` style meta-package `meta` points at. */
export async function kernelVersionOf(meta = "linux-image-amd64"): Promise<string> {
  const image = (await packageDepends(meta)).find((dep) => dep.startsWith("linux-image-"));
  if (!image) throw new OrchestraError("PREREQUISITE_MISSING", `${meta} depends on no linux-image-* package`, { package: meta });
  return image.slice("linux-image-".length);
}
