/**
 * @module inventory/account-number
 * The 12-digit number an account shows as, wherever EC2 (ownerId) or the metadata service
 * (the identity document's accountId) names an owner: derived from the account's name, so
 * it is the same on every server and after every restart, and never the name itself.
 */
import { createHash } from "node:crypto";

/** The 12-digit account number of the account called `name`. */
export function accountNumber(name: string): string {
  const digits = BigInt(`0x${createHash("sha256").update(`account:${name}`).digest("hex").slice(0, 15)}`) % 10n ** 12n;
  return digits.toString().padStart(12, "0");
}
