/**
 * @module charm/workloads/nginx
 * nginx: WebDAV storage and the static boot-image server.
 */
import { mkdirSync } from "node:fs";
import { renderNginxWebdavSite } from "../render/nginx-webdav-site.ts";
import { removeFile } from "../host/write-file-atomic.ts";
import { packagedService } from "./packaged-service.ts";

/** The port nginx serves WebDAV and images on. */
export const WEBDAV_PORT = 80;

/** The nginx component. */
export const nginx = packagedService({
  name: "nginx",
  service: { name: "nginx", foreground: ["nginx", "-g", "daemon off;"] },
  // dav-ext brings PROPFIND, which WebDAV clients need to list.
  packages: ["nginx", "libnginx-mod-http-dav-ext"],
  ports: () => [`${WEBDAV_PORT}/tcp`],
  files: (_host, settings) => [{ path: "/etc/nginx/conf.d/orchestra.conf", content: renderNginxWebdavSite({ address: settings.config.listenAddress, port: WEBDAV_PORT, dataDir: settings.dataDir }) }],
  check: ["nginx", "-t"],
  reloadable: true,
  async prepare(host, settings) {
    // The package's default site also claims port 80 as default_server.
    removeFile(host.path("/etc/nginx/sites-enabled/default"));
    mkdirSync(host.path(`${settings.dataDir}/webdav`), { recursive: true });
    mkdirSync(host.path(`${settings.dataDir}/images`), { recursive: true });
  },
});
