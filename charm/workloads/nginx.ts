/**
 * @module charm/workloads/nginx
 * nginx: WebDAV storage and the static boot-image server.
 */
import { configValue, ensureDirectory } from "../host/file-access.ts";
import type { Host } from "../host/host.ts";
import { renderHtpasswd } from "../render/htpasswd.ts";
import { renderNginxWebdavSite } from "../render/nginx-webdav-site.ts";
import { removeFile } from "../host/write-file-atomic.ts";
import { packagedService } from "./packaged-service.ts";

/** The port nginx serves WebDAV and images on. */
export const WEBDAV_PORT = 80;

/** The password file of the WebDAV user. */
export const HTPASSWD_FILE = "/etc/nginx/orchestra-webdav.htpasswd";

/** The user and group nginx's workers run as (nginx.conf's `user`; Debian's www-data). */
export function nginxRunsAs(host: Host): { user: string; group: string } {
  const line = configValue(host, "/etc/nginx/nginx.conf", /^\s*user\s+([^;]+);/m);
  const [user = "www-data", group = user] = (line ?? "www-data").trim().split(/\s+/);
  return { user, group };
}

/** The nginx component. */
export const nginx = packagedService({
  name: "nginx",
  service: { name: "nginx", foreground: ["nginx", "-g", "daemon off;"] },
  // dav-ext brings PROPFIND, which WebDAV clients need to list.
  packages: ["nginx", "libnginx-mod-http-dav-ext"],
  ports: () => [`${WEBDAV_PORT}/tcp`],
  files: (host, settings) => {
    const credentials = settings.webdavCredentials;
    const site = { path: "/etc/nginx/conf.d/orchestra.conf", content: renderNginxWebdavSite({ address: settings.config.listenAddress, port: WEBDAV_PORT, dataDir: settings.dataDir, htpasswdFile: credentials ? HTPASSWD_FILE : null }) };
    if (credentials === null) return [site];
    // Workers read it per request, after dropping root: their group may read it, nobody else.
    return [{ path: HTPASSWD_FILE, content: renderHtpasswd(credentials.username, credentials.password), mode: 0o640, group: nginxRunsAs(host).group }, site];
  },
  check: ["nginx", "-t"],
  reloadable: true,
  async prepare(host, settings) {
    // The package's default site also claims port 80 as default_server.
    removeFile(host.path("/etc/nginx/sites-enabled/default"));
    const runsAs = nginxRunsAs(host);
    // WebDAV is nginx's to write; images are the orchestra service's, nginx only reads them
    // (setgid: files imported later get nginx's group).
    await ensureDirectory(host, `${settings.dataDir}/webdav`, { mode: 0o750, ...runsAs });
    await ensureDirectory(host, `${settings.dataDir}/images`, { mode: 0o2750, group: runsAs.group });
  },
});
