/**
 * @module ec2/model/ec2-services
 * The services EC2 actions use, passed in explicitly when the server is built.
 */

/** The region and zones Orchestra presents itself as. */
export interface Ec2Topology {
  /** The one region this endpoint serves; SigV4 scopes must name it. */
  readonly region: string;
  /** Availability zone names, e.g. `orchestra-a`. */
  readonly zones: readonly string[];
}

/** Everything an EC2 action may touch. */
export interface Ec2Services {
  readonly topology: Ec2Topology;
}
