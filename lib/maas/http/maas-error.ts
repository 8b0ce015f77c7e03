/**
 * @module maas/http/maas-error
 * MAAS's error answers: a form error is JSON naming the parameter (`{"cpu_count": ["..."]}`),
 * everything else a plain-text message, with MAAS's statuses (401 for authentication, 403
 * for another's machine, 404, 409 for no match or a wrong state, 503 when the store is busy).
 */
import { isOrchestraError, OrchestraError } from "../../errors.ts";

/** An answer to send. */
export interface MaasErrorAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The answer for any failure; unexpected ones are 500 without details. */
export function maasErrorAnswer(error: unknown): MaasErrorAnswer {
  if (!isOrchestraError(error)) return text(500, "Internal server error.");
  if (error.code === "MAAS_BAD_PARAMETER" && typeof error.details.parameter === "string" && !error.details.plain) {
    return { status: 400, contentType: "application/json", body: JSON.stringify({ [error.details.parameter]: [error.message] }) };
  }
  return text(statusOf(error), error.message);
}

function statusOf(error: OrchestraError): number {
  // The inventory's own refusals keep their statuses; a capacity answer is MAAS's 409.
  if (error.code === "NO_CAPACITY") return 409;
  return error.status;
}

function text(status: number, body: string): MaasErrorAnswer {
  return { status, contentType: "text/plain; charset=utf-8", body };
}
