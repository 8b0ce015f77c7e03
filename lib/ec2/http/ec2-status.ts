/**
 * @module ec2/http/ec2-status
 * The HTTP status of an EC2 error. AWS answers nearly every client error with 400 whatever
 * the resource (a missing instance is a 400, not a 404); only authentication (401/403),
 * DryRun (412), a request too slow (408) or too large (413, 431) and server faults keep
 * their own status.
 */
import { ERRORS, type ErrorCode } from "../../errors.ts";

const KEPT = new Set([401, 403, 408, 412, 413, 431]);

/** The status to answer `code` with on the EC2 endpoint. */
export function ec2HttpStatus(code: ErrorCode): number {
  const status = ERRORS[code].status;
  return status >= 500 || KEPT.has(status) ? status : 400;
}
