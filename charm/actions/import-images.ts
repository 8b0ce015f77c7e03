/**
 * @module charm/actions/import-images
 * `juju run orchestra/0 import-images [sources=...]`: boot images from simplestreams.
 */
import { orchestraCli } from "../workloads/orchestra-cli.ts";
import { ActionRefused, type ActionHandler } from "./action-context.ts";

/** Imports from the given sources or the image-sources config. */
export const importImages: ActionHandler = async ({ params, host, settings }) => {
  const given = typeof params.sources === "string" ? params.sources.split(/\s+/).filter((s) => s !== "") : [];
  const sources = given.length > 0 ? given : settings.config.imageSources;
  if (sources.length === 0) throw new ActionRefused("no image sources: set the image-sources config option or pass sources=...");
  for (const source of sources) {
    if (!/^https?:\/\/\S+$/.test(source)) throw new ActionRefused(`"${source}" is not an http(s) URL`);
  }
  const out = await orchestraCli(host, settings, ["images", "import", ...sources]);
  return { sources: sources.join(" "), imported: JSON.stringify(out ?? []) };
};
