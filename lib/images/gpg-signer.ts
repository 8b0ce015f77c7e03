/**
 * @module images/gpg-signer
 * Orchestra's OpenPGP signing key for the simplestreams metadata Juju checks, through
 * Debian's gpg: generated once in its own home directory (batch mode, no passphrase, so no
 * prompt ever waits), exported armored for `image-metadata-url` users, and used to
 * clearsign (the `.sjson` form). gpg's output is parsed here and nowhere else. The agent gpg
 * starts for the home directory is stopped after each use, so nothing is left running.
 */
import { mkdir, stat } from "node:fs/promises";
// execa is loaded on the first gpg run: `orchestra serve` loads this module with its
// simplestreams routes, and most servers never sign anything.
import { OrchestraError } from "../errors.ts";

/** The key's user id. */
export const SIGNING_KEY_UID = "Orchestra image metadata <orchestra-simplestreams@localhost>";

/** A signer over one gpg home directory. */
export interface GpgSigner {
  /** The signing key's fingerprint (generated on first use). */
  readonly fingerprint: string;
  /** The public key, ASCII-armored. */
  exportPublicKey(): Promise<string>;
  /** `text` clearsigned with the key. */
  clearsign(text: string): Promise<string>;
  /** Stop the gpg-agent this home directory started. */
  close(): Promise<void>;
}

async function gpg(home: string, what: string, args: readonly string[], input?: string): Promise<string> {
  const { execa } = await import("execa");
  const result = await execa("gpg", ["--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", ...args], {
    reject: false,
    ...(input === undefined ? {} : { input }),
    env: { LC_ALL: "C" },
  });
  // A spawn failure (no such program) has no exit code.
  if (result.failed && result.exitCode === undefined) {
    throw new OrchestraError("PREREQUISITE_MISSING", "gpg is not installed (apt-get install gpg)", { package: "gpg" });
  }
  if (result.exitCode !== 0) throw new OrchestraError("COMMAND_FAILED", `gpg could not ${what}: ${result.stderr.trim().split("\n").slice(-3).join(" ")}`);
  return result.stdout;
}

/** The fingerprint of the first secret key in `home`, or undefined. */
async function secretKeyFingerprint(home: string): Promise<string | undefined> {
  const listing = await gpg(home, "list its secret keys", ["--with-colons", "--list-secret-keys"]);
  // --with-colons: a `sec` record is followed by its `fpr` record, whose field 10 is the fingerprint.
  const lines = listing.split("\n");
  const sec = lines.findIndex((line) => line.startsWith("sec:"));
  const fpr = sec === -1 ? undefined : lines.slice(sec + 1).find((line) => line.startsWith("fpr:"));
  return fpr?.split(":")[9] || undefined;
}

/** Open (creating on first use) the signing key in `home`, a directory only the owner may read. */
export async function openGpgSigner(home: string): Promise<GpgSigner> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const mode = (await stat(home)).mode & 0o777;
  if (mode & 0o077) throw new OrchestraError("INVALID_ARGUMENT", `the gpg home ${home} is readable by others (mode ${mode.toString(8)}); chmod 700 it`);
  let fingerprint = await secretKeyFingerprint(home);
  if (!fingerprint) {
    const [name, email] = [SIGNING_KEY_UID.replace(/ <.*$/, ""), SIGNING_KEY_UID.replace(/^.*<(.*)>$/, "$1")];
    await gpg(home, "generate the signing key", ["--gen-key"], ["Key-Type: RSA", "Key-Length: 3072", "Key-Usage: sign", `Name-Real: ${name}`, `Name-Email: ${email}`, "Expire-Date: 0", "%no-protection", "%commit", ""].join("\n"));
    fingerprint = await secretKeyFingerprint(home);
    if (!fingerprint) throw new OrchestraError("COMMAND_FAILED", "gpg generated no signing key");
  }
  const key = fingerprint;
  return {
    fingerprint: key,
    exportPublicKey: () => gpg(home, "export the public key", ["--armor", "--export", key]),
    clearsign: (text) => gpg(home, "clearsign", ["--local-user", key, "--digest-algo", "SHA512", "--clearsign"], text),
    async close() {
      const { execa } = await import("execa");
      await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], { reject: false });
    },
  };
}
