/**
 * @module power/power-errors
 * The power error hierarchy. Its one job is to say whether an attempt may be retried: a BMC
 * that does not answer may answer next time; a wrong password or a refused command will not,
 * and retrying a wrong password can lock the BMC account.
 */
import { OrchestraError, type ErrorCode } from "../errors.ts";

/** Any failure of a power action; `retryable` decides the retry loop's next move. */
export class PowerError extends OrchestraError {
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, retryable: boolean, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, { ...details }, options);
    this.name = "PowerError";
    this.retryable = retryable;
  }

  /**
   * Say what was attempted and how often: the retry loop's last word. Keeps the class, so
   * callers can still tell auth from connection failures. The message is never rewritten to
   * hide secrets: no driver puts one in it (passwords travel in a tool's environment, a file
   * readable only by us, or an Authorization header; parameters are shown by field, secret
   * ones as REDACTED). Replacing a secret's text wherever it occurs would garble the message
   * ("pxe" read "p********e" with the password "x") and so reveal the password.
   */
  conclude(prefix: string, attempts: number): this {
    this.message = `${prefix}: ${this.message}`;
    (this.details as Record<string, unknown>).attempts = attempts;
    return this;
  }
}

/** The command was understood and refused, or cannot work as configured: never retried. */
export class PowerFatalError extends PowerError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? "POWER_COMMAND_FAILED", message, false, details, options);
    this.name = "PowerFatalError";
  }
}

/** The BMC refused the credentials: never retried (it would not help, and may lock the account). */
export class PowerAuthError extends PowerError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("POWER_AUTH_FAILED", message, false, details, options);
    this.name = "PowerAuthError";
  }
}

/** The BMC did not answer (timeout, refused connection, busy): retried with back-off. */
export class PowerConnectionError extends PowerError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("POWER_CONNECTION_FAILED", message, true, details, options);
    this.name = "PowerConnectionError";
  }
}
