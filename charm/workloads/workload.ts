/**
 * @module charm/workloads/workload
 * The shape every component the charm runs has (after ops' machine-charm example):
 * install, ensureConfig (did anything change?), reload, isRunning. Workloads get plain
 * settings and a Host; they import nothing from Juju.
 */
import type { CharmConfig, Component } from "../config/charm-config.ts";
import type { Host } from "../host/host.ts";

/** Where the orchestra service's code comes from. */
export interface OrchestraRuntime {
  /** The node binary the service runs on. */
  node: string;
  /** The orchestra CLI entry (a bundle in a packed charm, lib/cli/main.ts from source). */
  entry: string;
  /** Whether node and entry come from a packed charm (they are then copied to /opt/orchestra). */
  packed: boolean;
  /** The argv prefix that runs the orchestra CLI for actions and status ([node, entry] normally). */
  cli: string[];
}

/** Everything a workload is configured from. */
export interface WorkloadSettings {
  config: CharmConfig;
  /** The address provisioned machines and related units reach this unit at. */
  address: string;
  /** Where Orchestra keeps its state. */
  dataDir: string;
  /** A PostgreSQL URL from the database relation, or null for the embedded store. */
  databaseUrl: string | null;
  runtime: OrchestraRuntime;
  /** The WebDAV user nginx checks (null: none yet, WebDAV refuses everyone). */
  webdavCredentials: { username: string; password: string } | null;
  /** The application's EC2 sealing key (shared by the leader), or null to keep this unit's own. */
  sealingKey: Buffer | null;
  /** The model's proxy settings for outbound fetches (image imports, GitHub), as environment. */
  proxy: Record<string, string>;
  /** Ingress addresses of the units related over apt-proxy: squid admits them beside the provisioning subnet. */
  aptProxyClients: string[];
  /** Whether rsyslog also listens for plain syslog on 514 (the option is on and a plain forwarder is related). */
  syslogPlain: boolean;
  /**
   * The address the syslog relation names (its binding's ingress address), when it differs
   * from `address`: the syslog server certificate names it too, so a client that checks the
   * server's name against the host it was given accepts it.
   */
  syslogAddress?: string;
  /**
   * The open instances' ids, whose node certificates rsyslog honours (`orchestra machines
   * list`); null when the CLI could not say, and the list rsyslog has stays.
   */
  syslogPeers: string[] | null;
  /** Whether this unit is the leader: DHCP in full mode runs on the leader only. */
  leader: boolean;
}

/** One component the charm installs and keeps configured. */
export interface Workload {
  readonly name: "orchestra" | Component;
  /** The Juju ports it serves (`8000/tcp`); settings add what relations turn on. */
  ports(config: CharmConfig, settings?: WorkloadSettings): string[];
  /** Installs what is missing; doing it again changes nothing. */
  install(host: Host, settings: WorkloadSettings): Promise<void>;
  /** Writes its configuration; returns whether anything changed. */
  ensureConfig(host: Host, settings: WorkloadSettings): Promise<boolean>;
  /** Makes the running service pick up its configuration. */
  reload(host: Host): Promise<void>;
  /** Starts the service if it is not running. */
  ensureStarted(host: Host, settings: WorkloadSettings): Promise<void>;
  isRunning(host: Host): Promise<boolean>;
  /**
   * Undoes the component on a machine that is kept (stop and remove hooks): removes the
   * charm's own files, then disables what the charm installed and started, or gives a
   * package the machine had before its own configuration back, running.
   */
  teardown(host: Host): Promise<void>;
  /**
   * Whether the charm set the component up here (its own files are on the machine, or what
   * the charm installed is running): a component dropped from the list is torn down only
   * then, so later hooks leave it alone.
   */
  isSetUp?(host: Host): Promise<boolean>;
}
