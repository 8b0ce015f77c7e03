/**
 * @module ec2/model/user-data
 * User data as callers send it: base64 of at most 16 KiB, as EC2 limits it.
 */
import { OrchestraError } from "../../errors.ts";

/** EC2's limit on user data, before base64. */
export const MAX_USER_DATA_BYTES = 16 * 1024;

/** Check base64 user data (RunInstances' UserData, ModifyInstanceAttribute's userData); answers it unchanged. */
export function checkUserData(value: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) throw new OrchestraError("INVALID_ARGUMENT", "Invalid BASE64 encoding of user data.");
  if (Buffer.from(value, "base64").length > MAX_USER_DATA_BYTES) throw new OrchestraError("INVALID_ARGUMENT", `User data is limited to ${MAX_USER_DATA_BYTES} bytes.`);
  return value;
}
