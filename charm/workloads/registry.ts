/**
 * @module charm/workloads/registry
 * Which workloads a unit runs: the orchestra service always, then the configured components,
 * in a fixed order.
 */
import type { Component } from "../config/charm-config.ts";
import { dnsmasq } from "./dnsmasq.ts";
import { nginx } from "./nginx.ts";
import { orchestra } from "./orchestra.ts";
import { puppetserver } from "./puppetserver.ts";
import { rsyslog } from "./rsyslog.ts";
import { squid } from "./squid.ts";
import type { Workload } from "./workload.ts";

const BY_COMPONENT: Readonly<Record<Component, Workload>> = { dnsmasq, squid, rsyslog, puppetserver, nginx };

/** The workloads for a component list, orchestra first. */
export function workloadsFor(components: readonly Component[]): Workload[] {
  return [orchestra, ...components.map((c) => BY_COMPONENT[c])];
}

/** Every workload the charm knows, for stop/remove regardless of config. */
export function allWorkloads(): Workload[] {
  return [orchestra, ...Object.values(BY_COMPONENT)];
}

/** The components not in the list: what a config change may have dropped. */
export function workloadsNotIn(components: readonly Component[]): Workload[] {
  return (Object.entries(BY_COMPONENT) as Array<[Component, Workload]>).filter(([c]) => !components.includes(c)).map(([, w]) => w);
}
