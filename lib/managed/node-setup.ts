/**
 * @module managed/node-setup
 * What makes a deployed node a managed one: for each new instance, mint its credentials (a
 * client certificate bound to the instance, a one-time puppet challenge) and render its
 * vendor-data from the site's configured services. The vendor-data is stored with that
 * instance's metadata only, so the metadata service's per-node isolation is what keeps one
 * node from reading another's key or challenge.
 */
import { renderVendorData } from "../metadata/vendor-data.ts";
import { issueNodeCredentialWithin } from "../pki/node-credentials.ts";
import type { SiteCa } from "../pki/site-ca.ts";
import type { SqlExecutor } from "../store/sql-database.ts";

/** The site's services a node is pointed at; each is optional and each part is left out when absent. */
export interface NodeSetupSettings {
  readonly ca: SiteCa;
  /** Put the site CA in every node's trust store (default true). */
  readonly trustSiteCa?: boolean;
  readonly aptProxyUrl?: string;
  /** The TLS syslog server (its certificate is from the site CA). */
  readonly syslog?: { readonly host: string; readonly port: number };
  readonly puppetServer?: string;
  /** The public keys every node accepts, already resolved (gh:USER entries turned into keys). */
  readonly sshKeys?: () => readonly string[];
  /** Where nodes renew their syslog client certificate (the metadata service's NODE_CERTIFICATE_PATH); absent, nodes get no renewal job. */
  readonly certificateRenewalUrl?: string;
}

/** Renders each new instance's vendor-data (the EC2 RunInstances path calls it). */
export interface NodeSetup {
  /** The vendor-data for a new instance, minting its credentials in the caller's transaction; null when nothing is configured. */
  vendorDataWithin(tx: SqlExecutor, node: { instanceId: string; hostname: string }, now: Date): Promise<string | null>;
}

/** The node setup for a site's settings. */
export function nodeSetup(settings: NodeSetupSettings): NodeSetup {
  return {
    async vendorDataWithin(tx, node, now) {
      // A certificate and a challenge only when something will use them.
      const needsCredentials = settings.syslog !== undefined || settings.puppetServer !== undefined;
      const credential = needsCredentials ? await issueNodeCredentialWithin(tx, settings.ca, node, now) : undefined;
      const text = renderVendorData({
        ...(settings.trustSiteCa === false ? {} : { siteCaPem: settings.ca.certPem }),
        ...(settings.aptProxyUrl === undefined ? {} : { aptProxyUrl: settings.aptProxyUrl }),
        ...(settings.syslog === undefined ? {} : { syslog: { ...settings.syslog, caPem: settings.ca.certPem } }),
        ...(settings.puppetServer === undefined ? {} : { puppetServer: settings.puppetServer }),
        ...(credential === undefined ? {} : { node: credential }),
        ...(settings.sshKeys === undefined ? {} : { sshKeys: settings.sshKeys() }),
        ...(settings.certificateRenewalUrl === undefined ? {} : { certificateRenewalUrl: settings.certificateRenewalUrl }),
      });
      return text === "" ? null : text;
    },
  };
}
