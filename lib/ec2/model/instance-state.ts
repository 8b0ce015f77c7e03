/**
 * @module ec2/model/instance-state
 * EC2's view of a machine's lifecycle (DESIGN.md): an instance is one allocation of a
 * machine, and its EC2 state follows from the machine's state and power.
 */

/** The six EC2 instance states with their codes. */
export const INSTANCE_STATES = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;

/** An EC2 instance state name. */
export type InstanceStateName = keyof typeof INSTANCE_STATES;

/** How long a terminated instance stays listed, as on AWS. */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;

/** `{code, name}` as the XML carries it. */
export function instanceState(name: InstanceStateName): { code: number; name: InstanceStateName } {
  return { code: INSTANCE_STATES[name], name };
}

/** Whether `name` is an EC2 state name (for filters). */
export function isInstanceStateName(name: string): name is InstanceStateName {
  return Object.hasOwn(INSTANCE_STATES, name);
}
