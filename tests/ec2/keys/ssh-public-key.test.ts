import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateRsaKeyPair, importedKeyFingerprint, parseSshPublicKey } from "../../../lib/ec2/keys/ssh-public-key.ts";
import { isOrchestraError } from "../../../lib/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "orchestra-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SSH keys", () => {
  it("generates an RSA pair whose public line is what ssh-keygen derives from the private key", () => {
    const pair = generateRsaKeyPair();
    const file = join(dir, "created");
    writeFileSync(file, pair.privateKeyPem, { mode: 0o600 });
    const derived = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
    expect(derived.split(" ").slice(0, 2).join(" ")).toBe(pair.publicKey.line);
    expect(pair.fingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  });

  it.each(["rsa", "ed25519", "ecdsa"])("parses a %s key from ssh-keygen and fingerprints it as ssh-keygen does", (type) => {
    const file = join(dir, `id_${type}`);
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "me@example", "-f", file]);
    const text = execFileSync("cat", [`${file}.pub`], { encoding: "utf8" });
    const key = parseSshPublicKey(text);
    expect(text.startsWith(key.line)).toBe(true);
    const hash = type === "rsa" ? "md5" : "sha256";
    const listed = execFileSync("ssh-keygen", ["-l", "-E", hash, "-f", `${file}.pub`], { encoding: "utf8" }).split(" ")[1]!;
    expect(importedKeyFingerprint(key)).toBe(listed.replace(/^(MD5|SHA256):/, ""));
  });

  it.each([
    ["garbage", "not a key"],
    ["an unknown type", "ssh-dss AAAAB3NzaC1kc3MAAACBAP"],
    ["a blob of another type", `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa")]).toString("base64")}`],
    ["bad base64", "ssh-rsa ***"],
  ])("refuses %s with InvalidKeyPair.Format", (_why, text) => {
    let code: string | undefined;
    try {
      parseSshPublicKey(text);
    } catch (error) {
      code = isOrchestraError(error) ? error.ec2Code : "other";
    }
    expect(code).toBe("InvalidKeyPair.Format");
  });
});
