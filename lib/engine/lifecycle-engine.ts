/**
 * @module engine/lifecycle-engine
 * The engine that makes the hardware follow the inventory: when a machine enters a state
 * with a power step (POWER_PLAN), it sets the boot device and powers the machine through its
 * driver, then records the outcome. Steps for many machines run in parallel; a power failure
 * (after the driver's retries) moves the machine to its failed state with the reason.
 */
import type { Logger } from "pino";
import { isOrchestraError } from "../errors.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { FAILURE_STATUS, type MachineStatus } from "../inventory/lifecycle.ts";
import type { Machine } from "../inventory/machine.ts";
import type { PowerActionResult } from "../power/power-driver.ts";
import { powerTargetFor } from "../power/power-target.ts";
import type { PowerDriverRegistry } from "../power/registry.ts";
import { completePowerRequest, failPowerRequest, selectPowerRequests, type PowerRequest } from "../inventory/power-request.ts";
import { claimPowerAction, finishPowerAction, selectMachinesNeedingPowerStep } from "./power-action-rows.ts";
import { POWER_PLAN } from "./power-plan.ts";
import { type EraseMode, insertErasure } from "../deploy/erasure-rows.ts";
import { newDeployToken } from "../deploy/deploy-token.ts";

/** What the engine needs. */
export interface LifecycleEngineOptions {
  inventory: Inventory;
  drivers: PowerDriverRegistry;
  logger: Logger;
  /** Power steps running at once (BMCs are slow; a rack powers on together). */
  concurrency?: number;
  /** A claim older than this is taken to belong to a process that died, and is run again. */
  staleClaimMs?: number;
  /** How long a failed power request waits before the next try (the driver has retried already). */
  requestRetryMs?: number;
  /** Erase a released machine's disks before it goes back to the pool (default: no erasure). */
  eraseOnRelease?: EraseMode;
  /** Counts each power step by driver, action and outcome (the server's prom-client metrics). */
  metrics?: { observePower(driver: string, action: string, outcome: string): void; observeQueue?(depth: number): void };
  now?: () => Date;
}

/** How one machine's step ended. */
export interface StepReport {
  systemId: string;
  status: MachineStatus;
  outcome: PowerActionResult["outcome"] | "failed" | "cancelled";
  message: string;
}

/** The lifecycle engine; `sweep()` runs every pending power step once. */
export class LifecycleEngine {
  readonly #o: Required<Omit<LifecycleEngineOptions, "now" | "eraseOnRelease" | "metrics">> & Pick<LifecycleEngineOptions, "eraseOnRelease" | "metrics"> & { now: () => Date };

  constructor(options: LifecycleEngineOptions) {
    this.#o = { concurrency: 32, staleClaimMs: 10 * 60_000, requestRetryMs: 60_000, now: () => new Date(), ...options };
  }

  /**
   * Run the power step of every machine whose current state entry still needs one, and
   * carry out pending power requests (EC2's Stop, Start and Reboot).
   */
  async sweep(): Promise<StepReport[]> {
    const jobs: Array<() => Promise<StepReport | undefined>> = [];
    const now = this.#o.now().getTime();
    for (const systemId of await selectMachinesNeedingPowerStep(this.#o.inventory.db, Object.keys(POWER_PLAN), new Date(now - this.#o.staleClaimMs))) {
      // Deleted since the scan: nothing to power.
      const machine = await this.#o.inventory.getMachine(systemId).catch(() => undefined);
      if (machine) jobs.push(() => this.#step(machine));
    }
    for (const request of await selectPowerRequests(this.#o.inventory.db)) {
      if (request.attemptedAt && now - Date.parse(request.attemptedAt) < this.#o.requestRetryMs) continue;
      jobs.push(() => this.#request(request));
    }
    this.#o.metrics?.observeQueue?.(jobs.length);
    const reports: StepReport[] = [];
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const report = await jobs[next++]!();
        if (report) reports.push(report);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, jobs.length) }, lane));
    return reports;
  }

  async #request(request: PowerRequest): Promise<StepReport | undefined> {
    const { inventory, drivers, logger } = this.#o;
    // A machine deleted since the scan took its request with it.
    const machine = await inventory.getMachine(request.systemId).catch(() => undefined);
    if (!machine) return undefined;
    try {
      const driver = drivers.get(machine.power.type);
      const target = powerTargetFor(machine);
      const result = request.action === "on" ? await driver.powerOn(target) : request.action === "off" ? await driver.powerOff(target) : await driver.powerCycle(target);
      await inventory.db.transaction((tx) => completePowerRequest(tx, request));
      logger.info({ systemId: machine.systemId, power: request.action, outcome: result.outcome }, result.message);
      return { systemId: machine.systemId, status: machine.status, outcome: result.outcome, message: result.message };
    } catch (error) {
      const message = (error as Error).message;
      await inventory.db.transaction((tx) => failPowerRequest(tx, request, message, this.#o.now().toISOString()));
      logger.error({ systemId: machine.systemId, power: request.action }, `power ${request.action} failed: ${message}`);
      return { systemId: machine.systemId, status: machine.status, outcome: "failed", message };
    }
  }

  /** Move a released machine on to disk_erasing, with the erasure its ramdisk will report on, in one transaction. */
  async #startErasure(machine: Machine, mode: EraseMode, message: string): Promise<void> {
    const { inventory } = this.#o;
    await inventory.db.transaction(async (tx) => {
      const moved = await inventory.transitionFromWithin(tx, machine.systemId, machine, "disk_erasing", `releasing done: ${message}; erasing disks (${mode})`);
      if (moved?.status === "disk_erasing") await insertErasure(tx, { systemId: moved.systemId, token: newDeployToken(), enteredAt: moved.statusChangedAt, mode }, this.#o.now().toISOString());
    });
  }

  async #step(machine: Machine): Promise<StepReport | undefined> {
    const { inventory, drivers, logger } = this.#o;
    const plan = POWER_PLAN[machine.status];
    if (!plan) return undefined;
    // The sweep read the machine outside any transaction: claim only a state that is committed.
    const claimed = await inventory.db.transaction(
      async (tx) => (await inventory.isCurrentWithin(tx, machine)) && claimPowerAction(tx, machine.systemId, machine.statusChangedAt, machine.status, this.#o.now(), this.#o.staleClaimMs),
    );
    if (!claimed) return undefined;
    const finish = (outcome: string, message: string) => inventory.db.transaction((tx) => finishPowerAction(tx, machine.systemId, machine.statusChangedAt, outcome, message, this.#o.now()));
    // The step is for this state entry only: once the machine has left it (marked broken,
    // released, deleted), the driver's retries stop instead of powering a machine nobody wants powered.
    // The same question as the claim's (isCurrentWithin: two columns, not the whole machine); a failed read is "no".
    const stillWanted = () => inventory.isCurrentWithin(inventory.db, machine).catch(() => false);
    try {
      const driver = drivers.get(machine.power.type);
      const target = { ...powerTargetFor(machine), stillWanted };
      const results: PowerActionResult[] = [];
      if (plan.bootDevice) results.push(await driver.setBootDevice(target, plan.bootDevice));
      results.push(plan.power === "cycle" ? await driver.powerCycle(target) : await driver.powerOff(target));
      const outcome = results.some((r) => r.outcome === "operator-action-required") ? "operator-action-required" : "done";
      const message = results.map((r) => r.message).join("; ");
      await finish(outcome, message);
      this.#o.metrics?.observePower(machine.power.type, plan.power, outcome);
      logger.info({ systemId: machine.systemId, status: machine.status, outcome }, message);
      if (plan.then && machine.status === "releasing" && this.#o.eraseOnRelease) await this.#startErasure(machine, this.#o.eraseOnRelease, message);
      else if (plan.then) await inventory.transitionFrom(machine.systemId, machine, plan.then, `${machine.status} done: ${message}`);
      return { systemId: machine.systemId, status: machine.status, outcome, message };
    } catch (error) {
      const message = (error as Error).message;
      if (isOrchestraError(error, "POWER_CANCELLED")) {
        await finish("cancelled", message);
        this.#o.metrics?.observePower(machine.power.type, plan.power, "cancelled");
        logger.info({ systemId: machine.systemId, status: machine.status, outcome: "cancelled" }, `power ${plan.power} for ${machine.status} stopped: the machine left ${machine.status}`);
        return { systemId: machine.systemId, status: machine.status, outcome: "cancelled", message };
      }
      await finish("failed", message);
      this.#o.metrics?.observePower(machine.power.type, plan.power, "failed");
      logger.error({ systemId: machine.systemId, status: machine.status }, `power ${plan.power} failed: ${message}`);
      const failed = FAILURE_STATUS[machine.status];
      if (failed) await inventory.transitionFrom(machine.systemId, machine, failed, `power error: ${message}`);
      return { systemId: machine.systemId, status: machine.status, outcome: "failed", message };
    }
  }
}
