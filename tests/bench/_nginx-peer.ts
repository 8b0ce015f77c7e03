/**
 * The nginx that benchmarks run beside Orchestra on the same files: one worker, sendfile, no
 * access log, every temp path under the benchmark's own directory, on loopback.
 */

/**
 * nginx.conf for `root` served on `address` (127.0.0.1 unless given):`port`: at `/images/` (as
 * Orchestra's boot listener names them) or at `/`. With `sendfile: false` nginx reads each file
 * into its own buffers and writes them out, copying every byte through user space as any Node
 * server must (Node has no sendfile); its buffers are then 1 MiB, the size of Orchestra's writes.
 */
export function nginxPeerConfig(options: { root: string; port: number; dir: string; connections: number; at: "/" | "/images/"; address?: string; sendfile?: boolean }): string {
  const { root, port, dir, connections, at, address = "127.0.0.1", sendfile = true } = options;
  const location = at === "/" ? `location / { root ${root}; }` : `location /images/ { alias ${root}/; }`;
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections ${connections}; }
http {
  access_log off;
  sendfile ${sendfile ? "on" : "off"};
  ${sendfile ? "" : "output_buffers 2 1m; "}tcp_nopush on;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen ${address}:${port} backlog=${connections};
    ${location}
  }
}
`;
}
