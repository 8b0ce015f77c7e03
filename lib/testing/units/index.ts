/**
 * @module testing/units
 * Real systemd machines for a machine charm's hooks: systemd-nspawn units booted from a
 * cached Debian root, a local apt repository, and a network namespace of their own.
 */
export { UnitHarness, type CharmUnit, type DeployOptions } from "./unit-harness.ts";
export { UnitMachine, type Bind, type UnitExecOptions, type UnitExecResult } from "./unit-machine.ts";
export { ensureRootImage, DEFAULT_ROOT_INPUTS, REPOSITORY_URL, type RootImage, type RootInputs } from "./root-image.ts";
export { ensureAptRepository, type AptRepository } from "./apt-repository.ts";
export { addMember, inMember, type NetworkMember, type UnitNetwork } from "./unit-network.ts";
export { BRIDGE_ADDRESS, REPOSITORY_PORT, BROKEN_MIRROR_PORT, AGENT_PORT } from "./unit-network-services.ts";
