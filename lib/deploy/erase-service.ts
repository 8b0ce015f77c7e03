/**
 * @module deploy/erase-service
 * The route the Orchestra ramdisk reports a disk erasure on, on the boot listener:
 *
 *   POST /erase/<token>/report?status=success|failure   body: summary line, then the log
 *
 * Success puts the machine back in the pool (disk_erasing → ready); failure leaves it in
 * failed_disk_erasing with the reason. Only a report for the machine's current
 * `disk_erasing` entry counts; a repeated one answers the same and changes nothing.
 */
import type { FastifyInstance } from "fastify";
import { OrchestraError } from "../errors.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { isDeployToken } from "./deploy-token.ts";
import { DEPLOY_LOG_LIMIT, splitReport } from "./node-report.ts";
import { erasureByToken, finishErasure } from "./erasure-rows.ts";
import type { AddressWitness } from "../boot/address-witness.ts";
import { admitNodeCall } from "../boot/node-token.ts";

/** Register the erase route on `app` (inside the boot service's scope, sharing its error handling). */
export async function registerEraseService(app: FastifyInstance, options: { inventory: Inventory; witness: AddressWitness; now?: () => Date }): Promise<void> {
  const { inventory } = options;
  const now = () => (options.now ?? (() => new Date()))().toISOString();
  app.post<{ Params: { token: string }; Querystring: { status?: string } }>("/erase/:token/report", { logLevel: "warn", bodyLimit: DEPLOY_LOG_LIMIT * 2 }, async (request, reply) => {
    const status = request.query.status;
    if (status !== "success" && status !== "failure") throw new OrchestraError("INVALID_ARGUMENT", "a report is ?status=success or ?status=failure");
    const { token } = request.params;
    const erasure = isDeployToken(token) ? await erasureByToken(inventory.db, token) : undefined;
    if (!erasure) throw new OrchestraError("DEPLOYMENT_NOT_FOUND", "no disk erasure has that token");
    // Only the ramdisk the token was handed to may say the disks are erased (docs/boot.md).
    const machine = await inventory.getMachine(erasure.systemId).catch(() => undefined);
    await admitNodeCall(inventory.db, options.witness, { table: "erasures", token, bound: erasure.boundAddress, macs: machine?.interfaces.map((nic) => nic.mac) ?? [], address: request.ip });
    if (erasure.phase !== "planned") {
      if ((status === "success") === (erasure.phase === "erased")) return reply.send({ systemId: erasure.systemId, phase: erasure.phase });
      throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `this erasure is ${erasure.phase}`, { machine: erasure.systemId });
    }
    const { summary, log } = splitReport(typeof request.body === "string" ? request.body : "", status === "success" ? "disks erased" : "the node gave no reason");
    const seen = { status: "disk_erasing" as const, statusChangedAt: erasure.enteredAt };
    const moved = await inventory.db.transaction(async (tx) => {
      const to = status === "success" ? "ready" : "failed_disk_erasing";
      const done = await inventory.moveFromWithin(tx, erasure.systemId, seen, to, status === "success" ? `disks erased (${erasure.mode}): ${summary}` : `disk erasure failed: ${summary}`);
      if (done) await finishErasure(tx, token, status === "success" ? "erased" : "failed", summary, log, now());
      return done;
    });
    if (!moved) throw new OrchestraError("DEPLOYMENT_NOT_ACTIVE", `machine ${erasure.systemId} is no longer erasing its disks`, { machine: erasure.systemId });
    request.log.warn({ systemId: erasure.systemId, status, summary }, "disk erasure reported");
    return reply.send({ systemId: erasure.systemId, phase: status === "success" ? "erased" : "failed" });
  });
}
