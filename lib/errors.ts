/**
 * @module errors
 * Every error Orchestra raises, in one table: a stable code, the HTTP status an API answers
 * with, and the EC2 error code the EC2 front door uses. Codes never change once released;
 * tests/errors.test.ts checks that each is unique and documented in docs/errors.md.
 */

/** The table of error codes. Add a row; never rename one. */
export const ERRORS = {
  INVALID_ARGUMENT: { status: 400, ec2: "InvalidParameterValue", summary: "A value given is malformed or out of range." },
  MISSING_ARGUMENT: { status: 400, ec2: "MissingParameter", summary: "A required value was not given." },
  INVALID_MAC: { status: 400, ec2: "InvalidParameterValue", summary: "A MAC address is not six hex octets." },
  DUPLICATE_MAC: { status: 409, ec2: "InvalidParameterValue", summary: "A MAC address already belongs to another machine." },
  DUPLICATE_HOSTNAME: { status: 409, ec2: "InvalidParameterValue", summary: "A hostname already belongs to another machine." },
  MACHINE_NOT_FOUND: { status: 404, ec2: "InvalidInstanceID.NotFound", summary: "No machine has that system id, hostname or MAC." },
  MACHINE_IN_USE: { status: 409, ec2: "IncorrectInstanceState", summary: "The machine is allocated to an instance; release it first." },
  ILLEGAL_TRANSITION: { status: 409, ec2: "IncorrectInstanceState", summary: "The machine's state does not allow that move." },
  NO_CAPACITY: { status: 503, ec2: "InsufficientInstanceCapacity", summary: "No ready machine satisfies the constraints." },
  UNKNOWN_POWER_TYPE: { status: 400, ec2: "InvalidParameterValue", summary: "No power driver is registered under that power type." },
  INVALID_POWER_PARAMETER: { status: 400, ec2: "InvalidParameterValue", summary: "A power parameter is unknown, missing or malformed." },
  INSTANCE_TYPE_NOT_FOUND: { status: 404, ec2: "InvalidInstanceType", summary: "No instance type has that name." },
  DUPLICATE_INSTANCE_TYPE: { status: 409, ec2: "InvalidParameterValue", summary: "An instance type with that name exists already." },
  INSTANCE_NOT_FOUND: { status: 404, ec2: "InvalidInstanceID.NotFound", summary: "No instance has that id in this account." },
  STORE_SCHEMA_TOO_NEW: { status: 500, ec2: "InternalError", summary: "The data directory was written by a newer Orchestra." },
  STORE_UNAVAILABLE: { status: 503, ec2: "Unavailable", summary: "The store could not be opened or stayed locked." },
  HOOK_TOOL_MISSING: { status: 500, ec2: "InternalError", summary: "A Juju hook tool is not on PATH; the code is not running inside a hook." },
  HOOK_TOOL_FAILED: { status: 500, ec2: "InternalError", summary: "A Juju hook tool exited non-zero; the message carries its stderr." },
  RELATION_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "The relation is gone or never existed (a hook tool said relation not found)." },
  NOT_LEADER: { status: 403, ec2: "UnauthorizedOperation", summary: "Only the leader unit may do that (application data, leader settings)." },
  PERMISSION_DENIED: { status: 403, ec2: "UnauthorizedOperation", summary: "Juju refused the hook tool call: permission denied." },
  BINDING_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "No network config is known for that endpoint binding." },
  SECRET_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "No Juju secret has that id or label." },
  CHARM_HOOK_FAILED: { status: 500, ec2: "InternalError", summary: "A charm under test exited non-zero; the details carry its output." },
  INCONSISTENT_STATE: { status: 400, ec2: "InvalidParameterValue", summary: "A test State contradicts the charm's metadata.yaml, config.yaml or actions.yaml." },
  COMMAND_FAILED: { status: 500, ec2: "InternalError", summary: "A system command the charm runs (apt-get, systemctl, orchestra) failed." },
  INTERNAL: { status: 500, ec2: "InternalError", summary: "An unexpected failure; the log has the details." },
} as const satisfies Record<string, { status: number; ec2: string; summary: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERRORS;

/** The one error type Orchestra throws on purpose; `code` says which row of ERRORS it is. */
export class OrchestraError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OrchestraError";
    this.code = code;
    this.details = details;
  }

  /** The HTTP status an API answers this error with. */
  get status(): number {
    return ERRORS[this.code].status;
  }

  /** The EC2 error code the EC2 front door answers this error with. */
  get ec2Code(): string {
    return ERRORS[this.code].ec2;
  }
}

/** Whether `error` is an OrchestraError, optionally with the given code. */
export function isOrchestraError(error: unknown, code?: ErrorCode): error is OrchestraError {
  return error instanceof OrchestraError && (code === undefined || error.code === code);
}
