/**
 * @module ec2/model/ec2-context
 * What an action runs with: who is calling and the services it may use.
 */
import type { Ec2Services } from "./ec2-services.ts";

/** The caller and services handed to every action. */
export interface Ec2Context {
  /** The account of the verified access key; every query is scoped to it. */
  readonly account: string;
  /** The account's 12-digit number, as answers show it (ownerId). */
  readonly ownerId: string;
  readonly accessKeyId: string;
  readonly requestId: string;
  readonly services: Ec2Services;
}
