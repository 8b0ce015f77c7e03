/**
 * The secret box remembers what it has sealed and opened (lib/store/secret-box.ts): a
 * remembered value must open exactly as an unremembered one would, and nothing it remembers
 * may open a value the key and context would refuse.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { secretBox } from "../../lib/store/secret-box.ts";

/** `sealed` with one character of its ciphertext changed. */
function tampered(sealed: string): string {
  const parts = sealed.split(".");
  const body = parts[2]!;
  parts[2] = (body[0] === "A" ? "B" : "A") + body.slice(1);
  return parts.join(".");
}

describe("the secret box", () => {
  it("opens what it sealed, and a second box with the same key opens it too", () => {
    const key = randomBytes(32);
    const box = secretBox(key);
    const sealed = box.seal("token-1234", "deployment:abc:token");
    expect(box.open(sealed, "deployment:abc:token")).toBe("token-1234");
    expect(box.open(sealed, "deployment:abc:token")).toBe("token-1234");
    expect(secretBox(key).open(sealed, "deployment:abc:token")).toBe("token-1234");
  });

  it("refuses a remembered value under another context, an altered copy, and another key's box", () => {
    const box = secretBox(randomBytes(32));
    const sealed = box.seal("bmc-password", "machine:abc:power");
    expect(box.open(sealed, "machine:abc:power")).toBe("bmc-password");
    expect(() => box.open(sealed, "machine:xyz:power")).toThrow(expect.objectContaining({ code: "CREDENTIAL_KEY_FILE" }));
    expect(() => box.open(tampered(sealed), "machine:abc:power")).toThrow(expect.objectContaining({ code: "CREDENTIAL_KEY_FILE" }));
    expect(() => secretBox(randomBytes(32)).open(sealed, "machine:abc:power")).toThrow(expect.objectContaining({ code: "CREDENTIAL_KEY_FILE" }));
  });

  it("opens long values (not remembered) and more values than it remembers, each correctly", () => {
    const key = randomBytes(32);
    const box = secretBox(key);
    const long = "#cloud-config\n" + "x".repeat(16 * 1024);
    const sealedLong = box.seal(long, "instance:i-1:user-data");
    expect(box.open(sealedLong, "instance:i-1:user-data")).toBe(long);
    const values = Array.from({ length: 5000 }, (_, i) => [`secret-${i}`, box.seal(`secret-${i}`, `ctx:${i}`)] as const);
    for (const [i, [plain, sealed]] of values.entries()) expect(box.open(sealed, `ctx:${i}`)).toBe(plain);
    expect(secretBox(key).open(values[0]![1], "ctx:0")).toBe("secret-0");
  });
});
