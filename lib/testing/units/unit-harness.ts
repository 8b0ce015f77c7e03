/**
 * @module testing/units/unit-harness
 * Real machines for a machine charm's hooks. A harness holds the cached root, the local apt
 * repository and one unit network; deployUnit() boots a unit from the root, unpacks the
 * packed .charm where Juju puts it (/var/lib/juju/agents/unit-<app>-<n>/charm) and returns a
 * Context whose hooks run there through `dispatch`, with lib/testing's fake hook tools
 * playing the unit agent. stop() takes everything down by pid and leaves nothing behind.
 * @example
 * const harness = await UnitHarness.start({ packages: ["squid"] });
 * const unit = await harness.deployUnit({ charmFile: "orchestra.charm", index: 0 });
 * const out = await unit.context.run(unit.context.on.install(), state({ leader: true, networks: unit.networks() }));
 * await harness.stop();
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { loadCharmSpec } from "../charm-spec.ts";
import { Context, type ContextOptions } from "../context.ts";
import type { HookTarget } from "../hook-target.ts";
import type { NetworkValue } from "../world.ts";
import { ensureAptRepository, type AptRepository } from "./apt-repository.ts";
import { DEFAULT_ROOT_INPUTS, ensureRootImage, type RootImage, type RootInputs } from "./root-image.ts";
import { AGENT_PORT, BRIDGE_ADDRESS, BROKEN_MIRROR_PORT } from "./unit-network-services.ts";
import { addMember, createUnitNetwork, destroyUnitNetwork, inMember, type NetworkMember, type UnitNetwork } from "./unit-network.ts";
import { UnitMachine, type Bind } from "./unit-machine.ts";

const UNIT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin";

/** A unit with the charm on it. */
export interface CharmUnit {
  machine: UnitMachine;
  /** Runs the charm's hooks and actions on the unit. */
  context: Context;
  /** The unit's address on the unit network (its default binding). */
  address: string;
  /** Its address on the provisioning network (eth1). */
  provisioningAddress: string;
  /** The charm directory on the host (bind-mounted into the unit). */
  charmDir: string;
  /** network-get answers for this unit: the provisioning binding on eth1, every other on eth0. */
  networks(): Record<string, NetworkValue>;
  /** Points the unit's apt at a mirror that answers 404 to everything. */
  breakMirror(): Promise<void>;
  /** Another Context for the same unit (a shorter timeout, to kill a hook half way). */
  contextWith(options: NonNullable<DeployOptions["context"]>): Context;
}

export interface DeployOptions {
  /** The packed charm (`npm run pack:charm` writes orchestra.charm). */
  charmFile: string;
  /** 0, 1, 2...: picks the unit's addresses (198.51.100.10+n, 192.0.2.10+n). */
  index: number;
  appName?: string;
  unitId?: number;
  /** Further Context options (timeoutMs, env). */
  context?: Omit<ContextOptions, "charmDir" | "target" | "appName" | "unitId">;
}

function network(device: string, address: string, cidr: string): NetworkValue {
  return {
    "bind-addresses": [{ "interface-name": device, addresses: [{ value: address, cidr }] }],
    "egress-subnets": [`${address}/32`],
    "ingress-addresses": [address],
  };
}

export class UnitHarness {
  readonly root: RootImage;
  readonly repository: AptRepository;
  readonly network: UnitNetwork;
  readonly #machines: UnitMachine[] = [];
  readonly #tempDirs: string[] = [];

  private constructor(root: RootImage, repository: AptRepository, net: UnitNetwork) {
    this.root = root;
    this.repository = repository;
    this.network = net;
  }

  /** Builds (or takes from the cache) the root and the repository for `packages`, and starts the network. */
  static async start(options: { packages: readonly string[]; root?: RootInputs }): Promise<UnitHarness> {
    const root = await ensureRootImage(options.root ?? DEFAULT_ROOT_INPUTS);
    const repository = await ensureAptRepository(root, options.packages);
    const net = await createUnitNetwork(repository.path);
    return new UnitHarness(root, repository, net);
  }

  /** Boots a unit and unpacks the charm on it; no hook has run yet. */
  async deployUnit(options: DeployOptions): Promise<CharmUnit> {
    const temp = mkdtempSync(join(tmpdir(), "orchestra-unit-"));
    this.#tempDirs.push(temp);
    const charmDir = join(temp, "charm");
    const toolsDir = join(temp, "tools");
    mkdirSync(charmDir);
    mkdirSync(toolsDir);
    await execa("unzip", ["-q", options.charmFile, "-d", charmDir]);
    // The application is named after the charm unless told otherwise, as `juju deploy` does.
    const appName = options.appName ?? loadCharmSpec(charmDir).name;
    const unitId = options.unitId ?? options.index;
    const agentDir = `unit-${appName}-${unitId}`;
    const name = `${appName}-${unitId}`;
    const charmDirInUnit = `/var/lib/juju/agents/${agentDir}/charm`;
    const toolsDirInUnit = `/var/lib/juju/tools/${agentDir}`;
    const { machine, address, provisioningAddress } = await this.#bootMachine(options.index, name, [
      { host: charmDir, unit: charmDirInUnit },
      { host: toolsDir, unit: toolsDirInUnit, readOnly: true },
    ]);
    const target: HookTarget = {
      agentSocket: join(this.network.socketDir, `${address}.sock`),
      agentHost: BRIDGE_ADDRESS,
      agentPort: AGENT_PORT,
      toolsDir,
      toolsDirInTarget: toolsDirInUnit,
      charmDirInTarget: charmDirInUnit,
      basePath: UNIT_PATH,
      // The hook is timed out inside the unit: killing nsenter on the host would leave the
      // hook's processes running in the unit's own pid namespace.
      run: (argv, run) => machine.exec(["timeout", "--kill-after=10", String(Math.ceil(run.timeoutMs / 1000)), ...argv], {
        cwd: run.cwd, env: run.env, input: run.input, timeoutMs: run.timeoutMs + 30_000,
      }),
    };
    const contextWith = (extra: NonNullable<DeployOptions["context"]>) => new Context({ timeoutMs: 20 * 60_000, ...options.context, ...extra, charmDir, target, appName, unitId });
    const context = contextWith({});
    const unit: CharmUnit = {
      machine,
      context,
      address,
      provisioningAddress,
      charmDir,
      networks: () => {
        const networks: Record<string, NetworkValue> = {};
        for (const binding of [...Object.keys(context.spec.endpoints), ...context.spec.extraBindings, "juju-info"]) {
          networks[binding] = network("eth0", address, "198.51.100.0/24");
        }
        networks.provisioning = network("eth1", provisioningAddress, "192.0.2.0/24");
        return networks;
      },
      contextWith,
      breakMirror: async () => {
        await machine.writeFile("/etc/apt/sources.list.d/orchestra-units.list", `deb [trusted=yes] http://${BRIDGE_ADDRESS}:${BROKEN_MIRROR_PORT}/ ./\n`);
      },
    };
    return unit;
  }

  /**
   * A machine without a charm, at the same addresses a unit with this index would have: a
   * related application's unit played by hand (its apt through the proxy, its syslog client).
   */
  async addMachine(index: number, name: string): Promise<{ machine: UnitMachine; address: string; provisioningAddress: string }> {
    return await this.#bootMachine(index, name, []);
  }

  async #bootMachine(index: number, name: string, binds: Bind[]): Promise<{ machine: UnitMachine; address: string; provisioningAddress: string }> {
    const address = `198.51.100.${10 + index}`;
    const provisioningAddress = `192.0.2.${10 + index}`;
    const member = await addMember(this.network, `u${index}`, { unitAddress: address, provisioningAddress });
    const machine = await UnitMachine.boot(this.root.path, name, member, binds);
    this.#machines.push(machine);
    return { machine, address, provisioningAddress };
  }

  /**
   * A test client: a namespace on the unit network at 198.51.100.(100+n) and/or plugged into
   * the provisioning network (unaddressed: it asks the unit's DHCP).
   */
  async addClient(name: string, links: { unitAddress?: string; provisioning?: boolean; provisioningAddress?: string }): Promise<NetworkMember> {
    return await addMember(this.network, name, links);
  }

  /** Runs `argv` in a client's namespace. */
  inClient(client: NetworkMember, argv: readonly string[], options?: { timeout?: number; env?: Record<string, string> }) {
    return inMember(client, argv, options);
  }

  /** Stops every unit (by pid), the network and its services, and removes the temp dirs. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const machine of this.#machines) await machine.stop().catch((e: unknown) => errors.push(e));
    await destroyUnitNetwork(this.network).catch((e: unknown) => errors.push(e));
    for (const dir of this.#tempDirs) rmSync(dir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, "unit harness teardown failed");
  }
}
