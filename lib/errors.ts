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
  NO_CAPACITY: { status: 409, ec2: "InsufficientInstanceCapacity", summary: "No ready machine satisfies the constraints (409: a status no AWS SDK retries, so clients report it at once)." },
  UNKNOWN_POWER_TYPE: { status: 400, ec2: "InvalidParameterValue", summary: "No power driver is registered under that power type." },
  INVALID_POWER_PARAMETER: { status: 400, ec2: "InvalidParameterValue", summary: "A power parameter is unknown, missing or malformed." },
  INSTANCE_TYPE_NOT_FOUND: { status: 404, ec2: "InvalidInstanceType", summary: "No instance type has that name." },
  DUPLICATE_INSTANCE_TYPE: { status: 409, ec2: "InvalidParameterValue", summary: "An instance type with that name exists already." },
  INSTANCE_NOT_FOUND: { status: 404, ec2: "InvalidInstanceID.NotFound", summary: "No instance has that id in this account." },
  STORE_SCHEMA_TOO_NEW: { status: 500, ec2: "InternalError", summary: "The data directory was written by a newer Orchestra." },
  STORE_UNAVAILABLE: { status: 503, ec2: "Unavailable", summary: "The store could not be opened or stayed locked." },
  EC2_MISSING_ACTION: { status: 400, ec2: "MissingAction", summary: "An EC2 request did not name an Action." },
  EC2_INVALID_ACTION: { status: 400, ec2: "InvalidAction", summary: "The EC2 Action is unknown or not offered by Orchestra." },
  EC2_NO_SUCH_VERSION: { status: 400, ec2: "NoSuchVersion", summary: "The EC2 API Version is missing or not 2016-11-15." },
  EC2_UNKNOWN_PARAMETER: { status: 400, ec2: "UnknownParameter", summary: "An EC2 parameter is unknown or not supported by Orchestra; it is refused, never ignored." },
  EC2_MALFORMED_QUERY: { status: 400, ec2: "MalformedQueryString", summary: "The EC2 query is not valid form encoding, UTF-8 or XML-safe text." },
  EC2_DUPLICATE_PARAMETER: { status: 400, ec2: "InvalidParameter", summary: "An EC2 parameter was given more than once." },
  EC2_REQUEST_TOO_LARGE: { status: 413, ec2: "RequestEntityTooLarge", summary: "The EC2 request body is over the size limit." },
  EC2_INVALID_PARAMETER_COMBINATION: { status: 400, ec2: "InvalidParameterCombination", summary: "EC2 parameters were given that cannot be used together." },
  EC2_INVALID_FILTER: { status: 400, ec2: "InvalidParameterValue", summary: "An EC2 filter name is not supported by that action." },
  EC2_INVALID_PAGINATION_TOKEN: { status: 400, ec2: "InvalidPaginationToken", summary: "The NextToken is malformed or from another query." },
  EC2_MISSING_AUTHENTICATION: { status: 401, ec2: "MissingAuthenticationToken", summary: "The EC2 request is not signed with Signature Version 4." },
  EC2_INCOMPLETE_SIGNATURE: { status: 400, ec2: "IncompleteSignature", summary: "The SigV4 signature is malformed or lacks a required part." },
  EC2_REQUEST_EXPIRED: { status: 400, ec2: "RequestExpired", summary: "The request's date is over 15 minutes from the server's clock, or a presigned URL expired." },
  EC2_AUTH_FAILURE: { status: 401, ec2: "AuthFailure", summary: "The access key is unknown or revoked." },
  EC2_SIGNATURE_MISMATCH: { status: 403, ec2: "SignatureDoesNotMatch", summary: "The SigV4 signature does not match the request." },
  EC2_DRY_RUN: { status: 412, ec2: "DryRunOperation", summary: "The request would have succeeded, but DryRun was set." },
  EC2_UNSUPPORTED_OPERATION: { status: 400, ec2: "UnsupportedOperation", summary: "The EC2 operation has no meaning on bare metal." },
  EC2_IDEMPOTENT_MISMATCH: { status: 400, ec2: "IdempotentParameterMismatch", summary: "A ClientToken was reused with different parameters." },
  EC2_INSTANCE_ID_MALFORMED: { status: 400, ec2: "InvalidInstanceID.Malformed", summary: "An instance id is not i- followed by hex." },
  EC2_IMAGE_NOT_FOUND: { status: 400, ec2: "InvalidAMIID.NotFound", summary: "No boot image has that ami- id." },
  EC2_IMAGE_ID_MALFORMED: { status: 400, ec2: "InvalidAMIID.Malformed", summary: "An image id is not ami- followed by hex." },
  EC2_GROUP_NOT_FOUND: { status: 400, ec2: "InvalidGroup.NotFound", summary: "No security group has that id or name in this account." },
  EC2_GROUP_DUPLICATE: { status: 400, ec2: "InvalidGroup.Duplicate", summary: "A security group with that name exists in this account and VPC." },
  EC2_GROUP_IN_USE: { status: 400, ec2: "DependencyViolation", summary: "The security group is used by a live instance or another group's rule." },
  EC2_GROUP_ID_MALFORMED: { status: 400, ec2: "InvalidGroupId.Malformed", summary: "A security group id is not sg- followed by hex." },
  EC2_PERMISSION_DUPLICATE: { status: 400, ec2: "InvalidPermission.Duplicate", summary: "The security group rule exists already." },
  EC2_PERMISSION_NOT_FOUND: { status: 400, ec2: "InvalidPermission.NotFound", summary: "The security group has no such rule." },
  EC2_KEY_PAIR_NOT_FOUND: { status: 400, ec2: "InvalidKeyPair.NotFound", summary: "No key pair has that name or id in this account." },
  EC2_KEY_PAIR_DUPLICATE: { status: 400, ec2: "InvalidKeyPair.Duplicate", summary: "A key pair with that name exists in this account." },
  EC2_KEY_FORMAT: { status: 400, ec2: "InvalidKeyPair.Format", summary: "The public key material is not an OpenSSH public key." },
  EC2_RESOURCE_ID_INVALID: { status: 400, ec2: "InvalidID", summary: "A resource id cannot be tagged or is malformed." },
  EC2_VPC_NOT_FOUND: { status: 400, ec2: "InvalidVpcID.NotFound", summary: "No VPC has that id." },
  EC2_SUBNET_NOT_FOUND: { status: 400, ec2: "InvalidSubnetID.NotFound", summary: "No subnet has that id." },
  EC2_VOLUME_NOT_FOUND: { status: 400, ec2: "InvalidVolume.NotFound", summary: "No volume has that id." },
  EC2_INCORRECT_INSTANCE_STATE: { status: 400, ec2: "IncorrectInstanceState", summary: "The instance's state does not allow that action." },
  EC2_OPERATION_NOT_PERMITTED: { status: 400, ec2: "OperationNotPermitted", summary: "The instance's disableApiTermination or disableApiStop attribute forbids that action." },
  EC2_LAUNCH_TEMPLATE_ID_NOT_FOUND: { status: 400, ec2: "InvalidLaunchTemplateId.NotFound", summary: "No launch template has that id (Orchestra keeps none)." },
  EC2_LAUNCH_TEMPLATE_NAME_NOT_FOUND: { status: 400, ec2: "InvalidLaunchTemplateName.NotFoundException", summary: "No launch template has that name (Orchestra keeps none)." },
  STS_INVALID_CLIENT_TOKEN: { status: 403, ec2: "InvalidClientTokenId", summary: "The STS request's access key is unknown or revoked." },
  CREDENTIAL_NOT_FOUND: { status: 404, ec2: "AuthFailure", summary: "No access key has that id." },
  CREDENTIAL_KEY_FILE: { status: 500, ec2: "InternalError", summary: "The credential key file is missing, unreadable or malformed." },
  // Network boot, images, enlistment and the lab.
  ENLISTMENT_REFUSED: { status: 409, ec2: "InvalidParameterValue", summary: "A discovery report names a machine it may not create or change." },
  RATE_LIMITED: { status: 429, ec2: "RequestLimitExceeded", summary: "Too many requests from one source; retry later." },
  TOKEN_ADDRESS_MISMATCH: { status: 403, ec2: "UnauthorizedOperation", summary: "A node token was shown from another address than the one it is bound to (docs/boot.md)." },
  COMMISSIONING_TOKEN_REQUIRED: { status: 403, ec2: "UnauthorizedOperation", summary: "A report for a machine being commissioned lacks that commissioning's token." },
  PAYLOAD_TOO_LARGE: { status: 413, ec2: "InvalidParameterValue", summary: "A request body is larger than the endpoint accepts." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, ec2: "InvalidParameterValue", summary: "A request body is not in the content type the endpoint accepts." },
  IMAGE_NOT_FOUND: { status: 404, ec2: "InvalidAMIID.NotFound", summary: "No boot image has that id or role." },
  IMAGE_CHECKSUM_MISMATCH: { status: 400, ec2: "InvalidParameterValue", summary: "A downloaded or copied image file does not match its checksum." },
  IMAGE_SOURCE_INVALID: { status: 400, ec2: "InvalidParameterValue", summary: "An image source (directory, package, URL) is missing, unreadable or incomplete." },
  BOOT_FILE_MISSING: { status: 500, ec2: "InternalError", summary: "A file the boot path serves (iPXE binary, kernel, initrd) is missing." },
  DHCP_CONFIG_INVALID: { status: 400, ec2: "InvalidParameterValue", summary: "The DHCP settings cannot make a valid dnsmasq configuration." },
  PREREQUISITE_MISSING: { status: 500, ec2: "InternalError", summary: "A program or Debian package Orchestra needs is not installed." },
  IMAGE_BUILD_FAILED: { status: 500, ec2: "InternalError", summary: "A step of an image build (debootstrap, mkfs, syslinux) failed; the message names the step and carries its output." },
  LAB_ALREADY_RUNNING: { status: 409, ec2: "IncorrectState", summary: "A lab is already running for that data directory." },
  LAB_NOT_RUNNING: { status: 404, ec2: "IncorrectState", summary: "No lab is running for that data directory." },
  LAB_FAILED: { status: 500, ec2: "InternalError", summary: "Setting up or tearing down the lab failed; the message names the step." },
  // Deployment: the deploy ramdisk's calls back, and images a real machine cannot take.
  DEPLOYMENT_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "No deployment holds that token (it never existed or a newer deployment replaced it)." },
  DEPLOYMENT_NOT_ACTIVE: { status: 409, ec2: "IncorrectInstanceState", summary: "The deployment is over (finished, failed, timed out or released); the node should stop." },
  IMAGE_NOT_DEPLOYABLE: { status: 400, ec2: "InvalidAMIID.Unavailable", summary: "The image has no disk image file, so it cannot be written to a real machine." },
  POWER_AUTH_FAILED: { status: 502, ec2: "InternalError", summary: "The BMC refused the power credentials (wrong user or password); never retried." },
  POWER_CONNECTION_FAILED: { status: 504, ec2: "Unavailable", summary: "The BMC did not answer in time; retried with back-off, then given up." },
  POWER_COMMAND_FAILED: { status: 502, ec2: "InternalError", summary: "The BMC or power tool answered but refused or failed the command; never retried." },
  POWER_TOOL_MISSING: { status: 500, ec2: "InternalError", summary: "The power tool a driver runs (e.g. ipmitool) is not installed." },
  METADATA_ADDRESS_IN_USE: { status: 409, ec2: "InvalidParameterValue", summary: "Another open instance's metadata already claims that IP address." },
  IMDS_TOKEN_TTL_INVALID: { status: 400, ec2: "InvalidParameterValue", summary: "An IMDSv2 token request lacks a TTL of 1-21600 seconds." },
  IMDS_TOKEN_INVALID: { status: 401, ec2: "AuthFailure", summary: "An IMDSv2 token is missing, expired, malformed or not this node's." },
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
  // The MAAS 2.0-compatible API (lib/maas): statuses as MAAS answers them.
  MAAS_UNAUTHORIZED: { status: 401, ec2: "AuthFailure", summary: "A MAAS API request has no OAuth signature, or one with an unknown, revoked or wrong key." },
  MAAS_BAD_PARAMETER: { status: 400, ec2: "InvalidParameterValue", summary: "A MAAS API parameter is missing or malformed; the body names it." },
  MAAS_UNKNOWN_OPERATION: { status: 400, ec2: "InvalidAction", summary: "The MAAS API has no such operation (op) for that method and resource." },
  MAAS_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "No MAAS resource (machine, zone, ...) by that id is visible to this account." },
  MAAS_NO_MATCH: { status: 409, ec2: "InsufficientInstanceCapacity", summary: "No machine free for allocation matches the MAAS allocate constraints." },
  MAAS_FORBIDDEN: { status: 403, ec2: "UnauthorizedOperation", summary: "The machine is not allocated to this account, so it may not act on it." },
  MAAS_WRONG_STATE: { status: 409, ec2: "IncorrectInstanceState", summary: "The machine's MAAS status does not allow that operation (e.g. deploy of a Ready machine)." },
  PKI_INVALID: { status: 400, ec2: "InvalidParameterValue", summary: "A certificate, key or certificate request is malformed, does not verify, or does not match the site CA." },
  GITHUB_UNAVAILABLE: { status: 503, ec2: "Unavailable", summary: "GitHub could not be reached, refused the token or rate-limited Orchestra; the last good environments and keys stay in place." },
  GITHUB_INVALID_RESPONSE: { status: 502, ec2: "InternalError", summary: "GitHub answered with something Orchestra cannot use (a malformed repository, tarball or key list); nothing was changed." },
  INTERNAL: { status: 500, ec2: "InternalError", summary: "An unexpected failure; the log has the details." },
  // Connection limits of every HTTP listener (lib/server/connection-limits.ts).
  HTTP_MALFORMED_REQUEST: { status: 400, ec2: "MalformedQueryString", summary: "The HTTP request could not be parsed (bad request line, headers or chunking)." },
  HTTP_REQUEST_TIMEOUT: { status: 408, ec2: "RequestTimeout", summary: "The request's headers or body did not arrive within the listener's time limit." },
  HTTP_HEADERS_TOO_LARGE: { status: 431, ec2: "RequestHeaderSectionTooLarge", summary: "The request's header section is over the listener's size limit." },
  TOO_MANY_CONNECTIONS: { status: 503, ec2: "RequestLimitExceeded", summary: "The source address has as many open connections as one source may; close one and retry." },
  // The command line and start-up: what a first run meets.
  USAGE: { status: 400, ec2: "InvalidParameterValue", summary: "The command line is malformed: an unknown command or option, or a missing argument." },
  NODE_TOO_OLD: { status: 500, ec2: "InternalError", summary: "The Node running Orchestra is older than 24; run bin/orchestra, which uses the project's own Node." },
  ADDRESS_IN_USE: { status: 500, ec2: "InternalError", summary: "A listen address is taken by another program, or given to two listeners." },
  DATA_DIR_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "The data directory does not exist (a command that only reads never creates one)." },
  ZONE_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "No availability zone has that name." },
  ZONE_IN_USE: { status: 409, ec2: "InvalidParameterValue", summary: "The zone still has machines (or is the default zone), so it cannot be removed." },
  WAIT_TIMED_OUT: { status: 504, ec2: "InternalError", summary: "machines wait (or deploy --wait) gave up: a machine did not reach the state in time." },
  WAIT_FAILED: { status: 409, ec2: "IncorrectInstanceState", summary: "machines wait (or deploy --wait) stopped: a machine landed in a failed state instead." },
  POWER_CANCELLED: { status: 409, ec2: "IncorrectInstanceState", summary: "A power step's retries stopped because its machine left the state the step was for, or was deleted." },
  // The web dashboard (lib/dashboard): operators, sessions, API keys.
  LOGIN_FAILED: { status: 401, ec2: "AuthFailure", summary: "The dashboard login's user name or password is wrong (which one is not said)." },
  AUTH_REQUIRED: { status: 401, ec2: "AuthFailure", summary: "A dashboard or dashboard API request has no live session (none, logged out, idle or too old) and no valid API key." },
  CSRF_TOKEN_INVALID: { status: 403, ec2: "UnauthorizedOperation", summary: "A state-changing dashboard request with a session cookie lacks its session's X-CSRF-Token header." },
  ACCESS_DENIED: { status: 403, ec2: "UnauthorizedOperation", summary: "The dashboard user may not do that: an admin-only action, or another account's data." },
  USER_NOT_FOUND: { status: 404, ec2: "InvalidParameterValue", summary: "No dashboard user has that name." },
  DUPLICATE_USER: { status: 409, ec2: "InvalidParameterValue", summary: "A dashboard user with that name exists already." },
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
