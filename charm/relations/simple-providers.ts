/**
 * @module charm/relations/simple-providers
 * The endpoints that only publish where a service is: apt-proxy, puppet, webdav-storage.
 * Each is one row: the component it needs and the unit data it publishes.
 */
import { ingressAddress, relationSet } from "../../lib/hookenv/index.ts";
import type { CharmConfig, Component } from "../config/charm-config.ts";
import type { HookContext } from "../hook-context.ts";
import { PUPPET_PORT } from "../workloads/puppetserver.ts";
import { WEBDAV_PORT } from "../workloads/nginx.ts";
import { forEachRelation } from "./for-each-relation.ts";

interface SimpleProvider {
  endpoint: string;
  component: Component;
  data(address: string, config: CharmConfig): Record<string, string>;
}

/** The table of publish-only endpoints. */
export const SIMPLE_PROVIDERS: readonly SimpleProvider[] = [
  {
    endpoint: "apt-proxy",
    component: "squid",
    data: (address, config) => ({ url: `http://${address}:${config.aptProxyPort}`, host: address, port: String(config.aptProxyPort) }),
  },
  {
    endpoint: "puppet",
    component: "puppetserver",
    data: (address) => ({ host: address, port: String(PUPPET_PORT), "server-name": address }),
  },
  {
    endpoint: "webdav-storage",
    component: "nginx",
    data: (address) => ({ "storage-url": `http://${address}:${WEBDAV_PORT}/webdav/`, host: address, port: String(WEBDAV_PORT) }),
  },
];

/** Publishes each simple endpoint's data on all its relations. */
export async function reconcileSimpleProviders(ctx: HookContext): Promise<void> {
  const settings = ctx.settings;
  if (settings === null) return;
  for (const provider of SIMPLE_PROVIDERS) {
    await forEachRelation(provider.endpoint, async (relationId) => {
      if (!settings.config.components.includes(provider.component)) {
        ctx.facts.notes.push(`${provider.endpoint} is related but ${provider.component} is not in components`);
        return;
      }
      const address = await ingressAddress(provider.endpoint);
      await relationSet(provider.data(address, settings.config), { relationId });
    });
  }
}
