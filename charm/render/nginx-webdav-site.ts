/**
 * @module charm/render/nginx-webdav-site
 * nginx as WebDAV storage (where Juju's Orchestra provider kept its state) and as the
 * static server of boot images, with range requests.
 */
import { managedHeader } from "./managed-header.ts";

/** What the nginx site is rendered from. */
export interface NginxSiteInput {
  address: string;
  port: number;
  dataDir: string;
  /** The password file WebDAV clients are checked against; null while there are no credentials (WebDAV then refuses everyone). */
  htpasswdFile: string | null;
}

/** Renders /etc/nginx/conf.d/orchestra.conf. */
export function renderNginxWebdavSite(input: NginxSiteInput): string {
  // The storage area is private: every method, reads included, needs the credentials the
  // webdav-storage relation hands out. Boot images stay public: nodes fetch them unauthenticated.
  const webdav = input.htpasswdFile === null
    ? ["    location /webdav/ {", "        return 403;", "    }"]
    : [
      "    location /webdav/ {",
      `        alias ${input.dataDir}/webdav/;`,
      '        auth_basic "Orchestra storage";',
      `        auth_basic_user_file ${input.htpasswdFile};`,
      "        dav_methods PUT DELETE MKCOL COPY MOVE;",
      "        dav_ext_methods PROPFIND OPTIONS;",
      "        create_full_put_path on;",
      "        dav_access user:rw group:r all:r;",
      "        client_max_body_size 0;",
      "    }",
    ];
  return [
    managedHeader().trimEnd(),
    "server {",
    `    listen ${input.address === "0.0.0.0" ? "" : `${input.address}:`}${input.port} default_server;`,
    "    server_name _;",
    ...webdav,
    // Every boot and deploy image byte comes from here (orchestra serve gets --image-base-url
    // and renders only the scripts): the kernel copies files to sockets itself (sendfile), in
    // chunks that keep one fast client from holding the worker, with open files cached across
    // the many nodes of a storm that ask for the same kernel and initrd. Ranges, ETag and
    // If-Modified-Since are nginx's own for static files.
    "    location /images/ {",
    `        alias ${input.dataDir}/images/;`,
    "        autoindex on;",
    "        sendfile on;",
    "        sendfile_max_chunk 2m;",
    "        tcp_nopush on;",
    "        open_file_cache max=1000 inactive=60s;",
    "        open_file_cache_valid 30s;",
    "    }",
    "}",
    "",
  ].join("\n");
}
