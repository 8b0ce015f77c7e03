/**
 * @module ec2/actions/action-table
 * The dispatch table: every EC2 action Orchestra answers, by name. An action not listed
 * here answers `InvalidAction`.
 */
import type { Ec2Action } from "./define-action.ts";
import { describeAccountAttributes } from "./describe-account-attributes.ts";
import { describeImages } from "./describe-images.ts";
import { describeInstanceStatus, describeInstances } from "./describe-instances.ts";
import { describeInstanceTypeOfferings, describeInstanceTypes, describeSpotPriceHistory } from "./describe-instance-types.ts";
import { describeAvailabilityZones, describeRegions } from "./describe-regions.ts";
import { getConsoleOutput, rebootInstances, startInstances, stopInstances, terminateInstances } from "./instance-lifecycle.ts";
import { createKeyPair, deleteKeyPair, describeKeyPairs, importKeyPair } from "./key-pairs.ts";
import { describeInternetGateways, describeNetworkInterfaces, describeRouteTables, describeSubnets, describeVpcAttribute, describeVpcClassicLink, describeVpcs } from "./networks.ts";
import { describeInstanceAttribute, modifyInstanceAttribute } from "./instance-attributes.ts";
import { describeInstanceCreditSpecifications } from "./credit-specifications.ts";
import { describeLaunchTemplates } from "./launch-templates.ts";
import { runInstances } from "./run-instances.ts";
import { authorizeSecurityGroupIngress, createSecurityGroup, deleteSecurityGroup, describeSecurityGroups, revokeSecurityGroupIngress } from "./security-groups.ts";
import { createTags, deleteTags, describeTags } from "./tags.ts";
import { attachVolume, createVolume, deleteVolume, describeVolumes, detachVolume } from "./volumes.ts";

/** Build the table from actions, refusing duplicates so a copy-paste slip cannot shadow one. */
export function buildActionTable(actions: readonly Ec2Action<any>[]): ReadonlyMap<string, Ec2Action<any>> {
  const table = new Map<string, Ec2Action<any>>();
  for (const action of actions) {
    if (table.has(action.name)) throw new Error(`EC2 action ${action.name} is declared twice`);
    table.set(action.name, action);
  }
  return table;
}

/** The actions of the 2016-11-15 API that Orchestra implements. */
export const EC2_ACTIONS: ReadonlyMap<string, Ec2Action<any>> = buildActionTable([
  runInstances,
  describeInstances,
  describeInstanceStatus,
  terminateInstances,
  stopInstances,
  startInstances,
  rebootInstances,
  getConsoleOutput,
  describeInstanceAttribute,
  modifyInstanceAttribute,
  describeInstanceCreditSpecifications,
  describeLaunchTemplates,
  describeAccountAttributes,
  describeRegions,
  describeAvailabilityZones,
  describeInstanceTypes,
  describeInstanceTypeOfferings,
  describeSpotPriceHistory,
  createTags,
  deleteTags,
  describeTags,
  createSecurityGroup,
  deleteSecurityGroup,
  describeSecurityGroups,
  authorizeSecurityGroupIngress,
  revokeSecurityGroupIngress,
  describeVpcs,
  describeVpcAttribute,
  describeVpcClassicLink,
  describeSubnets,
  describeInternetGateways,
  describeRouteTables,
  describeNetworkInterfaces,
  describeVolumes,
  createVolume,
  attachVolume,
  detachVolume,
  deleteVolume,
  describeImages,
  importKeyPair,
  createKeyPair,
  describeKeyPairs,
  deleteKeyPair,
]);
