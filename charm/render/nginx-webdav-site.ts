/**
 * @module charm/render/nginx-webdav-site
 * nginx as WebDAV storage (where Juju's Orchestra provider kept its state) and as the
 * static server of boot images, with range requests.
 */
import { managedHeader } from "./managed-header.ts";

/** Renders /etc/nginx/conf.d/orchestra.conf. */
export function renderNginxWebdavSite(input: { address: string; port: number; dataDir: string }): string {
  return [
    managedHeader().trimEnd(),
    "server {",
    `    listen ${input.address === "0.0.0.0" ? "" : `${input.address}:`}${input.port} default_server;`,
    "    server_name _;",
    "    location /webdav/ {",
    `        alias ${input.dataDir}/webdav/;`,
    "        dav_methods PUT DELETE MKCOL COPY MOVE;",
    "        dav_ext_methods PROPFIND OPTIONS;",
    "        create_full_put_path on;",
    "        dav_access user:rw group:r all:r;",
    "        client_max_body_size 0;",
    "    }",
    "    location /images/ {",
    `        alias ${input.dataDir}/images/;`,
    "        autoindex on;",
    "    }",
    "}",
    "",
  ].join("\n");
}
