/**
 * @module managed
 * Managed nodes: each deployed node's credentials and client setup.
 */
export * from "./node-setup.ts";
export * from "./syslog-server-conf.ts";
export * from "./managed-site.ts";
export * from "./syslog-peers.ts";
