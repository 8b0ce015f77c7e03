/**
 * @module maas/operations/define-operation
 * One MAAS API operation: the method, the resource (`machines`, `machines/{id}` ...), the
 * `op` it answers (empty for plain reads), the parameters it takes, and what it does. The
 * parameters are a closed list: anything else is refused with 400 naming it, never ignored.
 */
import type { MaasContext } from "../model/maas-services.ts";
import type { MaasParams } from "../http/request-params.ts";

/** An HTTP method the MAAS API uses. */
export type MaasMethod = "GET" | "POST" | "PUT" | "DELETE";

/** One operation. */
export interface MaasOperation {
  readonly method: MaasMethod;
  /** The collection name (`machines`), with `/{id}` when it acts on one item. */
  readonly resource: string;
  readonly op: string;
  /** Parameter names it takes; `*` takes any (set_owner_data's keys are the caller's). */
  readonly params: readonly string[] | "*";
  /** Whether it answers without a signature (only the version, as MAAS does). */
  readonly anonymous?: boolean;
  run(context: MaasContext, params: MaasParams, id: string | undefined): Promise<unknown>;
}

/** Define an operation (a typed identity, so tables read as data). */
export function defineOperation(operation: MaasOperation): MaasOperation {
  return operation;
}
