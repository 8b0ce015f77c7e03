/**
 * @module ec2/actions/action-table
 * The dispatch table: every EC2 action Orchestra answers, by name. An action not listed
 * here answers `InvalidAction`.
 */
import type { Ec2Action } from "./define-action.ts";
import { describeAvailabilityZones, describeRegions } from "./describe-regions.ts";

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
export const EC2_ACTIONS: ReadonlyMap<string, Ec2Action<any>> = buildActionTable([describeRegions, describeAvailabilityZones]);
