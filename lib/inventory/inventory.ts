/**
 * @module inventory/inventory
 * The inventory service: machines, their lifecycle, instance types and allocation, over a
 * SqlDatabase. Every change is one transaction that re-reads what it changes, so the CLI,
 * the server and concurrent API calls can act on the same machines safely.
 */
import { OrchestraError } from "../errors.ts";
import { builtinPowerTypes, type PowerTypeRegistry } from "../power/power-types.ts";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.ts";
import { describeConstraints, machineFits, resolveConstraints, type AllocationConstraints } from "./constraints.ts";
import { newInstanceId, newSystemId } from "./ids.ts";
import { endOpenInstance, insertInstance, selectInstance, selectInstances, selectOpenInstance, type Instance } from "./instance.ts";
import { deleteInstanceTypeRow, insertInstanceType, selectInstanceType, selectInstanceTypes } from "./instance-type-rows.ts";
import { BUILTIN_INSTANCE_TYPES, validateInstanceType, type InstanceType } from "./instance-type.ts";
import {
  assertTransition,
  DEFAULT_STATUS_TIMEOUTS,
  ENDS_INSTANCE,
  FAILURE_STATUS,
  isInProgress,
  isMachineStatus,
  MACHINE_STATUSES,
  SUCCESS_STATUS,
  type InProgressStatus,
  type MachineStatus,
  type StatusTimeouts,
} from "./lifecycle.ts";
import { parseMac } from "./mac-address.ts";
import { checkArchitecture, checkHostname, checkName, validateMachineInput, type NewMachineInput } from "./machine-input.ts";
import {
  completeCandidate,
  deleteMachineRow,
  fillRedactedPower,
  insertEvent,
  insertMachine,
  selectEvents,
  selectCandidates,
  selectMachine,
  selectBootViewByMac,
  selectDisks,
  selectMachineByMac,
  selectMoveState,
  selectStateEntry,
  selectMachines,
  selectSystemIdByHostname,
  selectSystemIdByMac,
  updateMachineSettings,
  updateStatus,
  type MachineCandidate,
  type MachineFilter,
} from "./machine-rows.ts";
import type { Disk, Machine, MachineBootView, MachineEvent } from "./machine.ts";
import { listedMachines, sqliteListingJson, type ListingFilter } from "./machine-listing.ts";

/** Options of an Inventory. */
export interface InventoryOptions {
  powerTypes?: PowerTypeRegistry;
  /** Per-state timeouts in seconds; unspecified states keep the defaults. */
  timeouts?: Partial<StatusTimeouts>;
  /** The clock, replaceable in tests. */
  now?: () => Date;
  /**
   * Whether machines of a test-only power type (`fake`) complete an in-progress state
   * (commissioning, deploying, releasing, disk erasing) the moment they enter it. Default
   * true: API tests get ready and deployed machines at once. With false they stay in the
   * state like a real machine, until the lifecycle engine (fake driver, no hardware) and
   * the deploy routes move them on: the deployment benchmark uses this to run fake
   * deployments through the real path. It changes nothing for any other power type.
   * @example new Inventory(db, { fakeCompletesAtOnce: false })
   */
  fakeCompletesAtOnce?: boolean;
}

/** What `updateMachine` may change; anything not given stays as it is. */
export interface MachineChanges {
  hostname?: string;
  zone?: string;
  /** Replace every tag. */
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  powerType?: string;
  /** Merged over the current parameters (of the same power type). */
  powerParams?: Record<string, string>;
}

/** Filters for listing machines. */
export interface ListMachinesFilter {
  status?: string;
  zone?: string;
  architecture?: string;
  tag?: string;
}

/** A successful allocation. */
export interface Allocation {
  readonly instance: Instance;
  readonly machine: Machine;
}

/**
 * Where an allocated machine goes at once, in the same transaction (RunInstances deploys what
 * it allocates): the reason is given the new instance, for the event log.
 */
export interface AllocateThen {
  readonly to: MachineStatus;
  readonly reason: (instance: Instance) => string;
}

/** What #moveThrough reads of a machine. */
type MovingMachine = Pick<Machine, "systemId" | "status"> & { readonly power: Pick<Machine["power"], "type"> };

/** A machine's state entry after a move. */
export type MachineStateEntry = Pick<Machine, "systemId" | "status" | "statusChangedAt">;

/** One move of a machine: its new state and why. */
interface Step {
  readonly to: MachineStatus;
  readonly reason: string;
}

const SYSTEM_ID = /^[bcdfghjkmnpqrstvwxyz2-9]{6}$/;

/** A listing's filter, checked: an unknown status or a malformed name is refused. */
function checkListFilter(filter: ListMachinesFilter): ListingFilter {
  const checked: ListingFilter = {};
  if (filter.status !== undefined) {
    if (!isMachineStatus(filter.status)) throw new OrchestraError("INVALID_ARGUMENT", `unknown status ${JSON.stringify(filter.status)} (known: ${MACHINE_STATUSES.join(", ")})`);
    checked.status = filter.status;
  }
  if (filter.zone !== undefined) checked.zone = checkName("zone", filter.zone);
  if (filter.architecture !== undefined) checked.architecture = checkArchitecture(filter.architecture);
  if (filter.tag !== undefined) checked.tag = checkName("tag", filter.tag);
  return checked;
}

/** How many candidate machines allocation reads at a time. */
const ALLOCATION_PAGE = 64;

/** The inventory of physical machines. */
export class Inventory {
  readonly db: SqlDatabase;
  readonly powerTypes: PowerTypeRegistry;
  readonly timeouts: StatusTimeouts;
  readonly fakeCompletesAtOnce: boolean;
  readonly #now: () => Date;

  constructor(db: SqlDatabase, options: InventoryOptions = {}) {
    this.db = db;
    this.powerTypes = options.powerTypes ?? builtinPowerTypes();
    this.timeouts = { ...DEFAULT_STATUS_TIMEOUTS, ...options.timeouts };
    this.fakeCompletesAtOnce = options.fakeCompletesAtOnce ?? true;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Whether the machine is, as committed, still in the state entry `seen`. A read outside a
   * transaction shares SQLite's one connection with any open transaction and can see its
   * uncommitted state (a DryRun's, always rolled back): act on a state only after this.
   */
  async isCurrentWithin(tx: SqlExecutor, seen: Pick<Machine, "systemId" | "status" | "statusChangedAt">): Promise<boolean> {
    // Two columns, not the whole machine: the engine asks this before every power step.
    const entry = await selectStateEntry(tx, seen.systemId);
    return entry?.status === seen.status && entry.statusChangedAt === seen.statusChangedAt;
  }

  /** The same inventory (power types, timeouts, clock) over another handle to the database; EC2's DryRun passes one that never commits. */
  withDatabase(db: SqlDatabase): Inventory {
    return new Inventory(db, { powerTypes: this.powerTypes, timeouts: this.timeouts, fakeCompletesAtOnce: this.fakeCompletesAtOnce, now: this.#now });
  }

  #timestamp(): string {
    return this.#now().toISOString();
  }

  /** Add a machine in state `new`, with an event saying why. */
  async addMachine(input: NewMachineInput, reason = "added by the operator"): Promise<Machine> {
    const valid = validateMachineInput(input, this.powerTypes);
    return this.db.transaction(async (tx) => {
      for (const nic of valid.interfaces) {
        const owner = await selectSystemIdByMac(tx, nic.mac);
        if (owner) throw new OrchestraError("DUPLICATE_MAC", `MAC ${nic.mac} already belongs to machine ${owner}`, { mac: nic.mac, systemId: owner });
      }
      let systemId = newSystemId();
      while (await selectMachine(tx, systemId)) systemId = newSystemId();
      const hostname = valid.hostname ?? `node-${systemId}`;
      const taken = await selectSystemIdByHostname(tx, hostname);
      if (taken) throw new OrchestraError("DUPLICATE_HOSTNAME", `hostname ${hostname} already belongs to machine ${taken}`, { hostname, systemId: taken });
      const at = this.#timestamp();
      const machine: Machine = { ...valid, systemId, hostname, status: "new", statusMessage: reason, statusChangedAt: at, createdAt: at, updatedAt: at };
      await insertMachine(tx, machine, this.powerTypes);
      await insertEvent(tx, systemId, null, "new", reason, at);
      return machine;
    });
  }

  /** Find a machine by system id, hostname or MAC address, inside a transaction. */
  async #resolve(tx: SqlExecutor, ref: string): Promise<Machine> {
    if (typeof ref !== "string" || ref.length === 0 || ref.length > 253) {
      throw new OrchestraError("INVALID_ARGUMENT", "a machine is named by its system id, hostname or MAC address");
    }
    // A system id (what every route and worker names a machine by) is one read: the row found
    // is the answer. It was read twice, once to see it exists and once to answer it: six of a
    // deployment's seventeen machine reads (tests/bench/deploy-overhead.ts).
    const byId = SYSTEM_ID.test(ref) ? await selectMachine(tx, ref) : undefined;
    if (byId) return byId;
    let systemId = await selectSystemIdByHostname(tx, ref);
    if (systemId === undefined) {
      let mac: string | undefined;
      try {
        mac = parseMac(ref);
      } catch {
        mac = undefined;
      }
      if (mac) systemId = await selectSystemIdByMac(tx, mac);
    }
    const machine = systemId === undefined ? undefined : await selectMachine(tx, systemId);
    if (!machine) throw new OrchestraError("MACHINE_NOT_FOUND", `no machine has system id, hostname or MAC ${JSON.stringify(ref)}`, { machine: ref });
    return machine;
  }

  /** One machine, by system id, hostname or MAC address. */
  async getMachine(ref: string): Promise<Machine> {
    return this.#resolve(this.db, ref);
  }

  /**
   * The disks of the machine with system id `systemId`, read alone: a deploy plan needs
   * them and nothing else of the machine (whose hardware document may hold any number of facts).
   * @throws MACHINE_NOT_FOUND when no machine has that id.
   */
  async getDisks(systemId: string): Promise<Disk[]> {
    const disks = await selectDisks(this.db, systemId);
    if (!disks) throw new OrchestraError("MACHINE_NOT_FOUND", `no machine has system id ${JSON.stringify(systemId)}`, { machine: systemId });
    return disks;
  }

  /**
   * Change what an operator sets by hand, in place: hostname, zone, tags (replaced, added or
   * removed) and power settings (parameters merged over the current ones, so one mistyped
   * BMC password is one command). Everything is validated before anything is written; the
   * machine's state is untouched and the change is in its event log.
   */
  async updateMachine(ref: string, changes: MachineChanges): Promise<Machine> {
    return this.db.transaction(async (tx) => {
      const machine = await this.#resolve(tx, ref);
      const hostname = changes.hostname === undefined ? machine.hostname : checkHostname(changes.hostname);
      if (hostname !== machine.hostname) {
        const taken = await selectSystemIdByHostname(tx, hostname);
        if (taken) throw new OrchestraError("DUPLICATE_HOSTNAME", `hostname ${hostname} already belongs to machine ${taken}`, { hostname, systemId: taken });
      }
      const zone = changes.zone === undefined ? machine.zone : checkName("zone", changes.zone);
      const removed = new Set((changes.removeTags ?? []).map((t) => checkName("tag", t)));
      const tags = [...new Set([...(changes.tags ?? machine.tags).map((t) => checkName("tag", t)), ...(changes.addTags ?? []).map((t) => checkName("tag", t))])].filter((t) => !removed.has(t));
      const powerType = changes.powerType === undefined ? machine.power.type : this.powerTypes.get(changes.powerType).name;
      // A new power type starts from no parameters; the same one keeps those not given.
      const base = powerType === machine.power.type ? machine.power.params : {};
      const params = this.powerTypes.validateParams(powerType, { ...base, ...(changes.powerParams ?? {}) });
      const at = this.#timestamp();
      const updated: Machine = { ...machine, hostname, zone, tags, power: { type: powerType, params }, updatedAt: at };
      await updateMachineSettings(tx, updated, this.powerTypes);
      const what = [
        hostname !== machine.hostname && `hostname ${machine.hostname} -> ${hostname}`,
        zone !== machine.zone && `zone ${machine.zone} -> ${zone}`,
        JSON.stringify(tags) !== JSON.stringify(machine.tags) && `tags ${tags.join(",") || "-"}`,
        (powerType !== machine.power.type || changes.powerParams) && `power ${powerType} (${Object.keys(changes.powerParams ?? {}).join(", ") || "type"})`,
      ].filter(Boolean);
      await insertEvent(tx, machine.systemId, machine.status, machine.status, `updated by the operator: ${what.join("; ") || "nothing changed"}`, at);
      return updated;
    });
  }

  /** The machine that owns `mac`, or undefined. */
  async findMachineByMac(mac: string): Promise<Machine | undefined> {
    return selectMachineByMac(this.db, parseMac(mac));
  }

  /** What a boot script needs of the machine that owns `mac` (its id, architecture and state entry), or undefined. */
  async findBootViewByMac(mac: string): Promise<MachineBootView | undefined> {
    return selectBootViewByMac(this.db, parseMac(mac));
  }

  /** Machines, optionally filtered, in hostname order. */
  async listMachines(filter: ListMachinesFilter = {}): Promise<Machine[]> {
    const { tag, ...sqlFilter } = checkListFilter(filter);
    const machines = await selectMachines(this.db, sqlFilter);
    return tag === undefined ? machines : machines.filter((m) => m.tags.includes(tag));
  }

  /**
   * What `orchestra machines list --json` prints: each machine's view with the open
   * instance it holds (ListedMachine), in hostname order, as JSON text, indented as
   * JSON.stringify(value, null, indent) would. Secrets stay sealed (machine-listing.ts).
   */
  async listMachinesJson(filter: ListMachinesFilter = {}, indent = 0): Promise<string> {
    const checked = checkListFilter(filter);
    if (this.db.dialect === "sqlite") {
      await fillRedactedPower(this.db, this.powerTypes);
      return sqliteListingJson(this.db, checked, this.powerTypes, indent);
    }
    return JSON.stringify(listedMachines(await this.listMachines(filter), await this.listInstances(), this.powerTypes), null, indent);
  }

  /** A machine's event log, oldest first. */
  async events(ref: string): Promise<MachineEvent[]> {
    const machine = await this.getMachine(ref);
    return selectEvents(this.db, machine.systemId);
  }

  /**
   * Move a machine to `to`, if the lifecycle table allows it from the state it is in at
   * that moment. Test-only (fake) machines finish in-progress work at once, unless the
   * inventory was made with `fakeCompletesAtOnce: false`.
   */
  async transition(ref: string, to: MachineStatus, reason: string): Promise<Machine> {
    return this.db.transaction(async (tx) => {
      const machine = await this.#resolve(tx, ref);
      return this.#transition(tx, machine, to, reason);
    });
  }

  async #transition(tx: SqlExecutor, machine: Machine, to: MachineStatus, reason: string): Promise<Machine> {
    return this.#moveThrough(tx, machine, [{ to, reason }]);
  }

  /**
   * Move a machine through `steps` in order, each checked against the lifecycle table and
   * logged as an event; a test-only machine then finishes an in-progress last step at once
   * (unless `fakeCompletesAtOnce` is off). The row is written once, as the last step leaves
   * it: each write of a machine's status rewrites its listing text (./machine-listing-text.ts),
   * and RunInstances' allocation and deployment wrote it twice.
   */
  async #moveThrough<M extends MovingMachine>(tx: SqlExecutor, machine: M, steps: readonly Step[]): Promise<M & Pick<Machine, "status" | "statusMessage" | "statusChangedAt" | "updatedAt">> {
    const path = [...steps];
    let status = machine.status;
    for (const step of path) {
      if (!isMachineStatus(step.to)) throw new OrchestraError("INVALID_ARGUMENT", `unknown status ${JSON.stringify(step.to)}`);
      assertTransition(machine.systemId, status, step.to);
      status = step.to;
    }
    if (isInProgress(status) && this.fakeCompletesAtOnce && this.powerTypes.get(machine.power.type).testOnly) {
      path.push({ to: SUCCESS_STATUS[status], reason: `${status} completed at once (fake power type, test only)` });
    }
    const last = path.at(-1)!;
    const at = this.#timestamp();
    if (!(await updateStatus(tx, machine.systemId, machine.status, last.to, last.reason, at))) {
      // Only another process writing between our read and our write gets here; the transaction
      // lock makes that impossible, so this guards against a broken backend, not a race.
      throw new OrchestraError("ILLEGAL_TRANSITION", `machine ${machine.systemId} changed state while moving to ${last.to}; try again`, { machine: machine.systemId });
    }
    let from = machine.status;
    for (const step of path) {
      await insertEvent(tx, machine.systemId, from, step.to, step.reason, at);
      if (ENDS_INSTANCE.includes(step.to)) await endOpenInstance(tx, machine.systemId, at);
      from = step.to;
    }
    return { ...machine, status: last.to, statusMessage: last.reason, statusChangedAt: at, updatedAt: at };
  }

  /** Accept a new machine: it goes to commissioning. */
  async accept(ref: string): Promise<Machine> {
    return this.db.transaction(async (tx) => {
      const machine = await this.#resolve(tx, ref);
      if (machine.status !== "new") {
        throw new OrchestraError("ILLEGAL_TRANSITION", `machine ${machine.systemId} is ${machine.status}; only new machines can be accepted (use commission to check a machine again)`, { machine: machine.systemId, from: machine.status, to: "commissioning" });
      }
      return this.#transition(tx, machine, "commissioning", "accepted by the operator");
    });
  }

  /** (Re)commission a machine: its hardware is checked again before it is trusted. */
  async commission(ref: string): Promise<Machine> {
    return this.transition(ref, "commissioning", "commissioning requested by the operator");
  }

  /** Release a machine from its instance: it goes through releasing back to ready. */
  async release(ref: string, reason = "released by the operator"): Promise<Machine> {
    return this.transition(ref, "releasing", reason);
  }

  /** Mark a machine broken, with the operator's reason. */
  async markBroken(ref: string, reason: string): Promise<Machine> {
    if (typeof reason !== "string" || reason.trim() === "") throw new OrchestraError("MISSING_ARGUMENT", "say why the machine is broken (--reason)");
    return this.transition(ref, "broken", `marked broken: ${reason}`);
  }

  /** Start deploying an allocated machine. */
  async startDeployment(ref: string, reason = "deployment started"): Promise<Machine> {
    return this.transition(ref, "deploying", reason);
  }

  /** Delete a machine. A machine with an open instance is refused unless `force`. */
  async deleteMachine(ref: string, options: { force?: boolean } = {}): Promise<Machine> {
    return this.db.transaction(async (tx) => {
      const machine = await this.#resolve(tx, ref);
      const instance = await selectOpenInstance(tx, machine.systemId);
      if (instance && !options.force) {
        throw new OrchestraError("MACHINE_IN_USE", `machine ${machine.systemId} is ${machine.status} with instance ${instance.instanceId}; release it first or use --force`, { machine: machine.systemId, instanceId: instance.instanceId });
      }
      await endOpenInstance(tx, machine.systemId, this.#timestamp());
      await deleteMachineRow(tx, machine.systemId);
      return machine;
    });
  }

  /**
   * Allocate the cheapest ready machine that satisfies `constraints` to `account`, as a new
   * instance. Atomic: concurrent callers never get the same machine.
   */
  async allocate(constraints: AllocationConstraints, account: string): Promise<Allocation> {
    checkName("account", account);
    return this.db.transaction((tx) => this.allocateWithin(tx, constraints, account));
  }

  /**
   * `allocate` inside the caller's transaction, so several allocations and the caller's own
   * rows (the EC2 API's all-or-nothing RunInstances) commit or roll back together.
   */
  async allocateWithin(tx: SqlExecutor, constraints: AllocationConstraints, account: string): Promise<Allocation> {
    const [allocation] = await this.allocateManyWithin(tx, constraints, account, { min: 1, max: 1 });
    return allocation!;
  }

  /**
   * Allocate between `min` and `max` of the cheapest ready machines that satisfy
   * `constraints`, as many as there are up to `max`, in the caller's transaction. One
   * candidate read serves the whole batch (N single allocations read N pages), and each
   * machine is moved from the row that read gave, not read again. With `then`, each machine
   * goes on from allocated at once (both moves logged, its row written once).
   * @throws NO_CAPACITY when fewer than `min` fit, with `details.found` saying how many did;
   * nothing is written then.
   */
  async allocateManyWithin(tx: SqlExecutor, constraints: AllocationConstraints, account: string, count: { min: number; max: number }, then?: AllocateThen): Promise<Allocation[]> {
    checkName("account", account);
    if (!Number.isInteger(count.min) || !Number.isInteger(count.max) || count.min < 1 || count.max < count.min) {
      throw new OrchestraError("INVALID_ARGUMENT", `allocate between a minimum of at least 1 and a maximum no smaller: got ${count.min} to ${count.max}`);
    }
    const type = constraints.instanceType === undefined ? undefined : await this.#instanceType(tx, constraints.instanceType);
    const wanted = resolveConstraints(constraints, type);
    const sqlFilter: MachineFilter = { status: "ready", minCpus: wanted.minCpus, minMemoryMib: wanted.minMemoryMib, minStorageBytes: wanted.minStorageBytes };
    if (wanted.architecture) sqlFilter.architecture = wanted.architecture;
    if (wanted.zone) sqlFilter.zone = wanted.zone;
    // SQL narrows by size, arch and zone and orders by cost; tags are checked here. Pages
    // keep the common case (the first fitting machines are among the cheapest) cheap at 10k.
    // Candidates are read without their interfaces; only the chosen ones are read whole.
    // Without tags or named machines SQL's filter is the whole test: the first count.max rows
    // are the answer, and reading a page of 64 to take one was a third of RunInstances' work
    // for one instance (tests/bench/deploy-overhead.ts). A machine SQL let through that the
    // test below refuses still only costs another page.
    const exact = wanted.tags.length === 0 && wanted.systemIds === null;
    const pageSize = exact ? count.max : Math.max(ALLOCATION_PAGE, count.max);
    const chosen: MachineCandidate[] = [];
    for (let offset = 0; chosen.length < count.max; offset += pageSize) {
      const page = await selectCandidates(tx, sqlFilter, { limit: pageSize, offset });
      for (const candidate of page) {
        if (chosen.length < count.max && machineFits(candidate, wanted)) chosen.push(candidate);
      }
      if (page.length < pageSize) break;
    }
    if (chosen.length < count.min) {
      const what = chosen.length === 0 ? "no ready machine satisfies" : chosen.length === 1 ? `only 1 ready machine of the ${count.min} asked for satisfies` : `only ${chosen.length} ready machines of the ${count.min} asked for satisfy`;
      throw new OrchestraError("NO_CAPACITY", `${what} ${describeConstraints(wanted)}`, { constraints: wanted, found: chosen.length });
    }
    const allocations: Allocation[] = [];
    for (const candidate of chosen) {
      // An allocation returns the machine with its interfaces.
      const machine = await completeCandidate(tx, candidate);
      const instance: Instance = { instanceId: newInstanceId(), systemId: machine.systemId, account, instanceType: wanted.instanceType, constraints: wanted, createdAt: this.#timestamp(), endedAt: null };
      const steps: Step[] = [{ to: "allocated", reason: `allocated to ${account} as ${instance.instanceId}` }];
      if (then) steps.push({ to: then.to, reason: then.reason(instance) });
      // The instance first: a later step that ends it (a fake machine released at once) finds it open.
      await insertInstance(tx, instance);
      allocations.push({ instance, machine: await this.#moveThrough(tx, machine, steps) });
    }
    return allocations;
  }

  /**
   * Move a machine only if it is still in the state entry the caller saw (same state,
   * same time of entry): a worker acting on an old reading never undoes a newer change.
   * Returns the moved machine, or undefined when the machine moved on (or was deleted) meanwhile.
   */
  async transitionFrom(systemId: string, seen: Pick<Machine, "status" | "statusChangedAt">, to: MachineStatus, reason: string): Promise<Machine | undefined> {
    return this.db.transaction((tx) => this.transitionFromWithin(tx, systemId, seen, to, reason));
  }

  /** `transitionFrom` inside the caller's transaction (with other writes that stand or fall with it). */
  async transitionFromWithin(tx: SqlExecutor, systemId: string, seen: Pick<Machine, "status" | "statusChangedAt">, to: MachineStatus, reason: string): Promise<Machine | undefined> {
    const machine = await selectMachine(tx, systemId);
    if (!machine || machine.status !== seen.status || machine.statusChangedAt !== seen.statusChangedAt) return undefined;
    return this.#transition(tx, machine, to, reason);
  }

  /**
   * `transitionFromWithin` for a caller that needs only whether the machine moved and its new
   * state entry (a node's report, a failed deployment): three columns of the machine are read,
   * not the whole machine and its interfaces. Undefined when it moved on (or was deleted) meanwhile.
   */
  async moveFromWithin(tx: SqlExecutor, systemId: string, seen: Pick<Machine, "status" | "statusChangedAt">, to: MachineStatus, reason: string): Promise<MachineStateEntry | undefined> {
    const state = await selectMoveState(tx, systemId);
    if (!state || state.status !== seen.status || state.statusChangedAt !== seen.statusChangedAt) return undefined;
    const moved = await this.#moveThrough(tx, { systemId, status: state.status, power: { type: state.powerType } }, [{ to, reason }]);
    return { systemId, status: moved.status, statusChangedAt: moved.statusChangedAt };
  }

  /** `transition` inside the caller's transaction. */
  async transitionWithin(tx: SqlExecutor, ref: string, to: MachineStatus, reason: string): Promise<Machine> {
    const machine = await this.#resolve(tx, ref);
    return this.#transition(tx, machine, to, reason);
  }

  /**
   * Move every machine that overstayed an in-progress state to that state's failed state.
   * Timeouts count from the stored time the state was entered, so a restarted server picks
   * up exactly where the old one stopped. Returns the machines it failed.
   */
  async expireTimeouts(): Promise<Machine[]> {
    const now = this.#now().getTime();
    const failed: Machine[] = [];
    for (const status of Object.keys(FAILURE_STATUS) as InProgressStatus[]) {
      const limitMs = this.timeouts[status] * 1000;
      for (const machine of await selectMachines(this.db, { status })) {
        if (Date.parse(machine.statusChangedAt) + limitMs > now) continue;
        // It may have moved on since the scan; only a machine still stuck is failed.
        const moved = await this.transitionFrom(machine.systemId, machine, FAILURE_STATUS[status]!, `timed out after ${this.timeouts[status]} s in ${status}`);
        if (moved) failed.push(moved);
      }
    }
    return failed;
  }

  async #instanceType(tx: SqlExecutor, name: string): Promise<InstanceType> {
    const type = BUILTIN_INSTANCE_TYPES.find((t) => t.name === name) ?? (await selectInstanceType(tx, name));
    if (!type) throw new OrchestraError("INSTANCE_TYPE_NOT_FOUND", `unknown instance type ${JSON.stringify(name)}; see 'orchestra instance-types list'`, { instanceType: name });
    return type;
  }

  /** One instance type, built-in or operator-defined. */
  async getInstanceType(name: string): Promise<InstanceType> {
    return this.#instanceType(this.db, name);
  }

  /** Every instance type: built-ins first, then the operator's own. */
  async listInstanceTypes(): Promise<InstanceType[]> {
    return [...BUILTIN_INSTANCE_TYPES, ...(await selectInstanceTypes(this.db))];
  }

  /** Define an instance type; a name (built-in or not) can be defined once. */
  async defineInstanceType(input: { name: unknown; cpus: unknown; memoryMib: unknown; diskGib?: unknown; description?: unknown }): Promise<InstanceType> {
    const type = validateInstanceType(input);
    return this.db.transaction(async (tx) => {
      if (BUILTIN_INSTANCE_TYPES.some((t) => t.name === type.name) || (await selectInstanceType(tx, type.name))) {
        throw new OrchestraError("DUPLICATE_INSTANCE_TYPE", `instance type ${type.name} exists already`, { instanceType: type.name });
      }
      await insertInstanceType(tx, type, this.#timestamp());
      return { ...type, builtin: false };
    });
  }

  /** Remove an operator-defined instance type. Built-ins cannot be removed. */
  async deleteInstanceType(name: string): Promise<void> {
    if (BUILTIN_INSTANCE_TYPES.some((t) => t.name === name)) throw new OrchestraError("INVALID_ARGUMENT", `instance type ${name} is built in and cannot be removed`);
    const removed = await this.db.transaction((tx) => deleteInstanceTypeRow(tx, name));
    if (!removed) throw new OrchestraError("INSTANCE_TYPE_NOT_FOUND", `unknown instance type ${JSON.stringify(name)}`, { instanceType: name });
  }

  /** One instance by id; another account's instance is reported as not found. */
  async getInstance(instanceId: string, account?: string): Promise<Instance> {
    const instance = await selectInstance(this.db, instanceId);
    if (!instance || (account !== undefined && instance.account !== account)) {
      throw new OrchestraError("INSTANCE_NOT_FOUND", `the instance ID '${instanceId}' does not exist`, { instanceId });
    }
    return instance;
  }

  /** Instances, of one account or all. */
  async listInstances(account?: string): Promise<Instance[]> {
    return selectInstances(this.db, account);
  }
}
