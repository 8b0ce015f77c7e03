/**
 * @module puppet
 * Puppet for deployed nodes: policy-based autosigning against Orchestra's challenges.
 */
export * from "./autosign-policy.ts";
export * from "./autosign-script.ts";
export * from "./autosign-route.ts";
