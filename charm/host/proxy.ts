/**
 * @module charm/host/proxy
 * The model's proxy settings (juju model-config juju-http-proxy ...), which Juju hands every
 * hook as JUJU_CHARM_HTTP_PROXY, JUJU_CHARM_HTTPS_PROXY and JUJU_CHARM_NO_PROXY, turned into
 * the variables apt, curl and Node read. Node's fetch honours them only with
 * NODE_USE_ENV_PROXY=1 (Node 24), which is set with them.
 */

/** The proxy environment for outbound fetches; empty when the model sets no proxy. */
export function modelProxyEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const http = env.JUJU_CHARM_HTTP_PROXY ?? "";
  const https = env.JUJU_CHARM_HTTPS_PROXY ?? "";
  const none = env.JUJU_CHARM_NO_PROXY ?? "";
  if (http === "" && https === "") return {};
  const out: Record<string, string> = { NODE_USE_ENV_PROXY: "1" };
  if (http !== "") Object.assign(out, { http_proxy: http, HTTP_PROXY: http });
  if (https !== "") Object.assign(out, { https_proxy: https, HTTPS_PROXY: https });
  if (none !== "") Object.assign(out, { no_proxy: none, NO_PROXY: none });
  return out;
}

/** apt's own options for the same proxies (apt's https method reads no environment). */
export function aptProxyOptions(proxy: Record<string, string>): string[] {
  const options: string[] = [];
  if (proxy.http_proxy) options.push("-o", `Acquire::http::Proxy=${proxy.http_proxy}`);
  if (proxy.https_proxy) options.push("-o", `Acquire::https::Proxy=${proxy.https_proxy}`);
  return options;
}
