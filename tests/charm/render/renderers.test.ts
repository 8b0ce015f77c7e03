import { describe, expect, it } from "vitest";
import { renderDnsmasqConf } from "../../../charm/render/dnsmasq-conf.ts";
import { renderSquidConf } from "../../../charm/render/squid-conf.ts";
import { permittedPeersIn, renderRsyslogConf } from "../../../charm/render/rsyslog-conf.ts";
import { renderNginxWebdavSite } from "../../../charm/render/nginx-webdav-site.ts";
import { renderPuppetConf } from "../../../charm/render/puppet-conf.ts";
import { orchestraServeArgv, renderOrchestraEnv, renderOrchestraUnit, type OrchestraServiceInput } from "../../../charm/render/orchestra-service.ts";

const base = { provisioningInterface: "eth1", provisioningSubnet: { network: "10.10.0.0", prefix: 24 }, dnsDomain: "lab", bootPort: 5248 };

describe("dnsmasq", () => {
  it("full DHCP hands out the range and chains BIOS, UEFI and iPXE clients", () => {
    const text = renderDnsmasqConf({ config: { ...base, dhcpMode: "full", dhcpRange: { first: "10.10.0.100", last: "10.10.0.200" } }, address: "10.10.0.1", dataDir: "/var/lib/orchestra" });
    expect(text.split("\n")).toEqual(expect.arrayContaining([
      "port=0", "interface=eth1", "dhcp-range=10.10.0.100,10.10.0.200,12h", "dhcp-hostsdir=/var/lib/orchestra/dnsmasq/hosts.d",
      "dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe", "dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi", "dhcp-boot=tag:ipxe,http://10.10.0.1:5248/boot.ipxe",
    ]));
    expect(text).not.toContain("proxy");
  });

  it("proxy DHCP gives no addresses, only boot services", () => {
    const text = renderDnsmasqConf({ config: { ...base, dhcpMode: "proxy", dhcpRange: null }, address: "10.10.0.1", dataDir: "/d" });
    expect(text).toContain("dhcp-range=10.10.0.0,proxy\n");
    expect(text).toContain('pxe-service=tag:ipxe,x86PC,"Orchestra iPXE",http://10.10.0.1:5248/boot.ipxe\n');
    expect(text).not.toContain("dhcp-boot");
  });

  it("off renders TFTP only", () => {
    const text = renderDnsmasqConf({ config: { ...base, dhcpMode: "off", dhcpRange: null }, address: "10.10.0.1", dataDir: "/d" });
    expect(text).not.toContain("dhcp-range");
    expect(text).toContain("enable-tftp\n");
  });
});

describe("squid", () => {
  it("caches only archive files for the provisioning subnet on its own port", () => {
    const text = renderSquidConf({ aptProxyPort: 8000, provisioningSubnet: { network: "10.10.0.0", prefix: 24 }, listenAddress: "0.0.0.0", aptProxyClients: [] });
    expect(text).toContain("http_port 8000\n");
    expect(text).toContain("http_access allow orchestra_port orchestra_clients orchestra_archive\n");
    expect(text).toContain("http_access deny orchestra_port\n");
  });
});

describe("rsyslog, nginx, puppet", () => {
  it("rsyslog listens with TLS and writes one file per host", () => {
    const text = renderRsyslogConf({ address: "0.0.0.0", port: 6514, caFile: "/t/ca.pem", certFile: "/t/s.pem", keyFile: "/t/s.key", logDir: "/var/log/orchestra/hosts", plainPort: null, permittedPeers: ["i-0123456789abcdef1", "i-0123456789abcdef0"] });
    expect(text).toContain('DefaultNetstreamDriverCAFile="/t/ca.pem"');
    // Mutual TLS: only certificates naming an open instance.
    expect(text).toContain('StreamDriver.AuthMode="x509/name" PermittedPeer=["i-0123456789abcdef0", "i-0123456789abcdef1"]');
    expect(permittedPeersIn(text)).toEqual(["i-0123456789abcdef0", "i-0123456789abcdef1"]);
    const none = renderRsyslogConf({ address: "0.0.0.0", port: 6514, caFile: "c", certFile: "s", keyFile: "k", logDir: "/l", plainPort: null, permittedPeers: [] });
    expect(none).toContain('PermittedPeer=["nobody.orchestra.invalid"]');
    expect(permittedPeersIn(none)).toEqual([]);
    expect(() => renderRsyslogConf({ address: "0.0.0.0", port: 6514, caFile: "c", certFile: "s", keyFile: "k", logDir: "/l", plainPort: null, permittedPeers: ['x"] evil'] })).toThrow(/certificate name/);
    expect(text).toContain('StreamDriver.Mode="1"');
    expect(text).toContain('string="/var/log/orchestra/hosts/%HOSTNAME%.log"');
  });

  it("nginx serves WebDAV with PROPFIND and images", () => {
    const text = renderNginxWebdavSite({ address: "0.0.0.0", port: 80, dataDir: "/var/lib/orchestra", htpasswdFile: "/etc/nginx/p" });
    expect(text).toContain("alias /var/lib/orchestra/webdav/;");
    expect(text).toContain("dav_ext_methods PROPFIND OPTIONS;");
    expect(text).toContain("listen 80 default_server;");
    expect(renderNginxWebdavSite({ address: "127.0.0.1", port: 80, dataDir: "/d", htpasswdFile: null })).toContain("listen 127.0.0.1:80 default_server;");
  });

  it("nginx serves the boot and deploy images itself with sendfile, ranges and caching of open files", () => {
    const text = renderNginxWebdavSite({ address: "0.0.0.0", port: 80, dataDir: "/var/lib/orchestra", htpasswdFile: null });
    const images = text.slice(text.indexOf("location /images/ {"), text.indexOf("}", text.indexOf("location /images/ {")));
    expect(images.split("\n").map((l) => l.trim())).toEqual(expect.arrayContaining(["alias /var/lib/orchestra/images/;", "sendfile on;", "sendfile_max_chunk 2m;", "tcp_nopush on;", "open_file_cache max=1000 inactive=60s;"]));
    // The bytes are nginx's own: nothing is passed on to orchestra serve.
    expect(images).not.toMatch(/proxy_pass|5248/);
  });

  it("listen-address narrows squid and rsyslog too", () => {
    expect(renderSquidConf({ aptProxyPort: 8000, provisioningSubnet: null, listenAddress: "127.0.0.1", aptProxyClients: [] })).toContain("http_port 127.0.0.1:8000\n");
    expect(renderRsyslogConf({ address: "127.0.0.1", port: 6514, caFile: "c", certFile: "s", keyFile: "k", logDir: "/l", plainPort: null, permittedPeers: [] })).toContain('input(type="imtcp" address="127.0.0.1" port="6514"');
  });

  it("puppet autosigns through Orchestra's policy executable, never blindly", () => {
    expect(renderPuppetConf({ serverName: "10.0.0.1", autosignPolicy: "/etc/puppet/orchestra-autosign", environmentPath: "/e" })).toContain("autosign = /etc/puppet/orchestra-autosign\n");
    expect(renderPuppetConf({ serverName: "10.0.0.1", autosignPolicy: null, environmentPath: "/e" })).toContain("autosign = false\n");
    expect(renderPuppetConf({ serverName: "10.0.0.1", autosignPolicy: null, environmentPath: "/e" })).toContain("server = 10.0.0.1\n");
  });

  it("puppet.conf names the server's address in its certificate, so agents told that address can verify it", () => {
    // Agents are pointed at the server by address (--node-puppet-server): the certificate
    // puppetserver makes for itself at first start must carry it, as an IP or a DNS name.
    expect(renderPuppetConf({ serverName: "10.0.0.1", autosignPolicy: null, environmentPath: "/e" })).toContain("dns_alt_names = IP:10.0.0.1\n");
    expect(renderPuppetConf({ serverName: "puppet.lab", autosignPolicy: null, environmentPath: "/e" })).toContain("dns_alt_names = DNS:puppet.lab\n");
  });
});

describe("the orchestra service", () => {
  const input: OrchestraServiceInput = {
    config: { region: "lab", autoAccept: true, dnsDomain: "lab", listenAddress: "0.0.0.0", ec2Port: 8773, provisioningSubnet: { network: "10.10.0.0", prefix: 24 }, bootPort: 5248, imageSources: [], logLevel: "info", githubToken: "t\"ok", githubPuppetRepository: "", githubPuppetBranches: "*", githubApiUrl: "https://api.github.com", sshKeys: "" },
    dataDir: "/var/lib/orchestra",
    databaseUrl: null,
    runtime: { node: "/opt/orchestra/bin/node", entry: "/opt/orchestra/orchestra.js" },
    serveFlags: new Set(["--boot-listen"]),
    imageBaseUrl: null,
  };

  it("passes the EC2 listener only to a serve that knows the flag", () => {
    expect(orchestraServeArgv(input)).not.toContain("--api-listen");
    expect(orchestraServeArgv({ ...input, serveFlags: new Set(["--api-listen", "--region", "--api-vpc-cidr"]) })).toEqual([
      "/opt/orchestra/orchestra.js", "--data-dir", "/var/lib/orchestra", "serve", "--boot-listen", "0.0.0.0:5248", "--log-level", "info",
      "--api-listen", "0.0.0.0:8773", "--region", "lab", "--api-vpc-cidr", "10.10.0.0/24",
    ]);
  });

  it("hands auto-accept and nginx's image URL to a serve that takes them", () => {
    const argv = orchestraServeArgv({ ...input, serveFlags: new Set(["--auto-accept", "--image-base-url"]), imageBaseUrl: "http://10.0.0.1/images" });
    expect(argv.slice(-3)).toEqual(["--auto-accept", "--image-base-url", "http://10.0.0.1/images"]);
    const off = orchestraServeArgv({ ...input, config: { ...input.config, autoAccept: false }, serveFlags: new Set(["--auto-accept", "--image-base-url"]) });
    expect(off).not.toContain("--auto-accept");
    expect(off).not.toContain("--image-base-url");
  });

  it("hands the vendor-data file to a serve that takes it, and nothing when there is none", () => {
    const flags = new Set(["--vendor-data"]);
    expect(orchestraServeArgv({ ...input, serveFlags: flags, vendorDataFile: "/etc/orchestra/vendor-data.yaml" }).slice(-2)).toEqual(["--vendor-data", "/etc/orchestra/vendor-data.yaml"]);
    expect(orchestraServeArgv({ ...input, serveFlags: flags, vendorDataFile: null })).not.toContain("--vendor-data");
    expect(orchestraServeArgv({ ...input, vendorDataFile: "/etc/orchestra/vendor-data.yaml" })).not.toContain("--vendor-data");
  });

  it("points deployed nodes at this unit's services with --node-* when serve has them, in place of the vendor-data file", () => {
    const flags = new Set(["--vendor-data", "--node-syslog"]);
    const managed = { aptProxyUrl: "http://10.10.0.2:8000", syslog: "10.10.0.2:6514", puppetServer: "10.10.0.2", githubTokenFile: "/etc/orchestra/github-token", puppetCodeDir: "/etc/puppet/code/environments" };
    const config = { ...input.config, sshKeys: "gh:octocat", githubPuppetRepository: "site/puppet", githubPuppetBranches: "env_*" };
    const argv = orchestraServeArgv({ ...input, config, serveFlags: flags, managed, vendorDataFile: "/etc/orchestra/vendor-data.yaml" });
    expect(argv).not.toContain("--vendor-data");
    expect(argv.join(" ")).toContain("--node-apt-proxy http://10.10.0.2:8000 --node-syslog 10.10.0.2:6514 --node-puppet-server 10.10.0.2 --node-ssh-keys gh:octocat --puppet-repository site/puppet --puppet-branches env_* --puppet-code-dir /etc/puppet/code/environments --github-api-url https://api.github.com --github-token-file /etc/orchestra/github-token");
    // The token itself is never on the command line.
    expect(argv.join(" ")).not.toContain("t\"ok");
    // An older serve without --node-* keeps getting the vendor-data file.
    expect(orchestraServeArgv({ ...input, config, serveFlags: new Set(["--vendor-data"]), managed, vendorDataFile: "/v" }).slice(-2)).toEqual(["--vendor-data", "/v"]);
  });

  it("quotes environment values and names the env file in the unit", () => {
    expect(renderOrchestraEnv(input)).toContain('ORCHESTRA_GITHUB_TOKEN="t\\"ok"\n');
    expect(renderOrchestraEnv({ ...input, databaseUrl: "postgresql://u:p@h:5432/o" })).toContain('ORCHESTRA_DATABASE_URL="postgresql://u:p@h:5432/o"');
    const unit = renderOrchestraUnit(input, "/etc/orchestra/orchestra.env");
    expect(unit).toContain("EnvironmentFile=/etc/orchestra/orchestra.env\n");
    expect(unit).toContain("ExecStart=/opt/orchestra/bin/node --max-semi-space-size=1 /opt/orchestra/orchestra.js --data-dir /var/lib/orchestra serve --boot-listen 0.0.0.0:5248 --log-level info\n");
    expect(unit).toContain("Restart=on-failure\n");
  });
});
