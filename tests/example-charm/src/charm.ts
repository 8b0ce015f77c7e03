/**
 * The "hello" example charm: everything it knows of Juju comes from orchestra/hookenv, the
 * package export other TypeScript charms use. One reconcile for every hook, status last.
 */
import {
  actionGet, actionSet, configGet, ingressAddress, openPort, readHookEnvironment,
  relationIds, relationSet, statusSet,
} from "@orchestra-charm/orchestra/hookenv";

const env = readHookEnvironment();
const config = await configGet();

if (env.kind === "action") {
  const { name } = await actionGet();
  await actionSet({ message: `${String(config.greeting)}, ${String(name)}!` });
} else {
  const port = config.port;
  if (typeof port !== "number" || port < 1 || port > 65535) {
    await statusSet("blocked", `port must be 1-65535, got ${String(port)}`);
  } else {
    await openPort(`${port}/tcp`);
    const hostname = await ingressAddress("website");
    for (const relationId of await relationIds("website")) {
      await relationSet({ hostname, port: String(port) }, { relationId });
    }
    await statusSet("active", `saying ${String(config.greeting)}`);
  }
}
