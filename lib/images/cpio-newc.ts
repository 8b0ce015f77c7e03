/**
 * @module images/cpio-newc
 * A writer for the "newc" cpio format the Linux kernel unpacks as an initramfs. Written
 * here rather than shelled out to cpio(1) so that device nodes such as /dev/console can be
 * put in the archive without root, and so that the same inputs give the same bytes.
 */

/** One archive member. Directories and device nodes carry no data. */
export type CpioEntry =
  | { readonly kind: "file"; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: "directory"; readonly path: string; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "char-device"; readonly path: string; readonly major: number; readonly minor: number; readonly mode?: number };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}

function padTo4(length: number): Uint8Array {
  return new Uint8Array((4 - (length % 4)) % 4);
}

function member(path: string, mode: number, data: Uint8Array, ino: number, rdev: [number, number] = [0, 0]): Uint8Array[] {
  const name = new TextEncoder().encode(`${path}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length, 0];
  const header = new TextEncoder().encode(`070701${fields.map(hex8).join("")}`);
  return [header, name, padTo4(header.length + name.length), data, padTo4(data.length)];
}

/** The archive of `entries`, in the order given, ended by the TRAILER!!! record. */
export function writeCpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, "");
    if (path === "" || path.split("/").includes("..")) throw new Error(`invalid cpio member path ${JSON.stringify(entry.path)}`);
    switch (entry.kind) {
      case "file":
        parts.push(...member(path, S_IFREG | (entry.mode ?? 0o644), entry.data, ino++));
        break;
      case "directory":
        parts.push(...member(path, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array(0), ino++));
        break;
      case "symlink":
        parts.push(...member(path, S_IFLNK | 0o777, new TextEncoder().encode(entry.target), ino++));
        break;
      case "char-device":
        parts.push(...member(path, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(0), ino++, [entry.major, entry.minor]));
        break;
    }
  }
  parts.push(...member("TRAILER!!!", 0, new Uint8Array(0), 0));
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
