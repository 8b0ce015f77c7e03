/**
 * @module images/apt-sources
 * The host's apt sources, read to find the Debian mirror that debootstrap should use: a
 * build then fetches from the same place (and through the same local mirror or cache) as
 * the host's own apt-get, with no mirror address written into Orchestra.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { OrchestraError } from "../errors.ts";

/** One apt source: a repository URI with its suites and components. */
export interface AptSource {
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
}

/** Parse deb822 `.sources` text (debian.sources); stanzas with `Enabled: no` are left out. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  // Stanzas are separated by blank lines; a comment line does not end a stanza.
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split("\n")) {
      if (line.startsWith("#") || line.trim() === "") continue;
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon < 1) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    if (!fields.has("uris") || fields.get("enabled")?.toLowerCase() === "no") continue;
    const words = (name: string) => (fields.get(name) ?? "").split(/\s+/).filter(Boolean);
    sources.push({ types: words("types"), uris: words("uris"), suites: words("suites"), components: words("components") });
  }
  return sources;
}

/** Parse one-line-style `sources.list` text (`deb [options] URI suite component...`). */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").replace(/\[[^\]]*\]/, " ").trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (!type || !uri || !suite || !/^deb(-src)?$/.test(type)) continue;
    sources.push({ types: [type], uris: [uri], suites: [suite], components });
  }
  return sources;
}

// debootstrap fetches with wget or reads files; apt-only transports (mirror+, cdrom:, tor+) are no use to it.
const FETCHABLE = /^(https?|file):/;

/** The first binary (`deb`) source URI that carries `suite` and debootstrap can fetch from, or undefined. */
export function mirrorForSuite(sources: readonly AptSource[], suite: string): string | undefined {
  for (const source of sources) {
    if (!source.types.includes("deb") || !source.suites.includes(suite)) continue;
    const uri = source.uris.find((u) => FETCHABLE.test(u));
    if (uri) return uri;
  }
  return undefined;
}

/**
 * The mirror the host's apt uses for `suite`: from /etc/apt/sources.list.d/*.sources and
 * *.list, then /etc/apt/sources.list. Files apt itself ignores (other suffixes, such as
 * `.disabled`) are ignored here too.
 */
export async function hostDebianMirror(suite: string, etcApt = "/etc/apt"): Promise<string> {
  const texts: { name: string; sources: AptSource[] }[] = [];
  const dir = join(etcApt, "sources.list.d");
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    if (name.endsWith(".sources")) texts.push({ name, sources: parseDeb822Sources(await readFile(join(dir, name), "utf8")) });
    else if (name.endsWith(".list")) texts.push({ name, sources: parseOneLineSources(await readFile(join(dir, name), "utf8")) });
  }
  const list = await readFile(join(etcApt, "sources.list"), "utf8").catch(() => undefined);
  if (list !== undefined) texts.push({ name: "sources.list", sources: parseOneLineSources(list) });
  const mirror = mirrorForSuite(texts.flatMap((t) => t.sources), suite);
  if (!mirror) throw new OrchestraError("PREREQUISITE_MISSING", `no apt source on this host carries ${suite}: add a Debian mirror for it to ${dir}/debian.sources`, { suite });
  return mirror;
}
