/**
 * @module charm/render/htpasswd
 * The password file nginx checks WebDAV clients against, in nginx's `{SSHA}` scheme (salted
 * SHA-1, which nginx verifies itself, with no system crypt needed). The salt comes from the
 * password, so the same credentials render the same file and a hook that runs again
 * changes nothing.
 */
import { createHash } from "node:crypto";

/** One user's line: `name:{SSHA}base64(sha1(password + salt) + salt)`. */
export function renderHtpasswd(username: string, password: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(username)) throw new Error(`htpasswd user name "${username}" must be letters, digits, '.', '_' or '-'`);
  const salt = createHash("sha256").update(`orchestra-webdav:${password}`).digest().subarray(0, 8);
  const digest = createHash("sha1").update(password).update(salt).digest();
  return `${username}:{SSHA}${Buffer.concat([digest, salt]).toString("base64")}\n`;
}
