import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostDebianMirror, mirrorForSuite, parseDeb822Sources, parseOneLineSources } from "../../lib/images/apt-sources.ts";

// The shape of this machine's own /etc/apt/sources.list.d/debian.sources.
const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe("deb822 sources", () => {
  it("reads each stanza, skipping comment lines inside it", () => {
    expect(parseDeb822Sources(DEBIAN_SOURCES)).toEqual([
      { types: ["deb"], uris: ["http://deb.debian.org/debian"], suites: ["bookworm", "bookworm-updates"], components: ["main"] },
      { types: ["deb"], uris: ["http://deb.debian.org/debian-security"], suites: ["bookworm-security"], components: ["main"] },
    ]);
  });

  it("leaves out disabled stanzas and joins continuation lines", () => {
    const text = "Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\nEnabled: no\n\nTypes: deb deb-src\nURIs: http://b.example/debian\n  http://c.example/debian\nSuites: bookworm\nComponents: main contrib\n";
    expect(parseDeb822Sources(text)).toEqual([{ types: ["deb", "deb-src"], uris: ["http://b.example/debian", "http://c.example/debian"], suites: ["bookworm"], components: ["main", "contrib"] }]);
  });
});

describe("one-line sources", () => {
  it("reads deb lines with options, ignoring comments", () => {
    const text = "# a comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib # trailing\ndeb-src http://mirror.example/debian bookworm main\n\nnonsense\n";
    expect(parseOneLineSources(text)).toEqual([
      { types: ["deb"], uris: ["http://mirror.example/debian"], suites: ["bookworm"], components: ["main", "contrib"] },
      { types: ["deb-src"], uris: ["http://mirror.example/debian"], suites: ["bookworm"], components: ["main"] },
    ]);
  });
});

describe("the mirror for a suite", () => {
  it("is the first binary source carrying exactly that suite", () => {
    const sources = parseDeb822Sources(DEBIAN_SOURCES);
    expect(mirrorForSuite(sources, "bookworm")).toBe("http://deb.debian.org/debian");
    expect(mirrorForSuite(sources, "bookworm-security")).toBe("http://deb.debian.org/debian-security");
    expect(mirrorForSuite(sources, "trixie")).toBeUndefined();
  });

  it("skips deb-src and transports debootstrap cannot fetch from", () => {
    const sources = parseOneLineSources("deb-src http://src.example/debian bookworm main\ndeb mirror+file:/etc/apt/mirrors.txt bookworm main\ndeb https://ok.example/debian bookworm main\n");
    expect(mirrorForSuite(sources, "bookworm")).toBe("https://ok.example/debian");
  });
});

describe("the host's mirror", () => {
  const etc = mkdtempSync(join(tmpdir(), "orchestra-apt-"));
  afterAll(() => rmSync(etc, { recursive: true, force: true }));

  it("comes from sources.list.d/*.sources, ignoring files apt ignores", async () => {
    mkdirSync(join(etc, "sources.list.d"));
    writeFileSync(join(etc, "sources.list.d", "aaa.list.disabled-by-farm"), "deb http://wrong.example/debian bookworm main\n");
    writeFileSync(join(etc, "sources.list.d", "debian.sources"), DEBIAN_SOURCES);
    expect(await hostDebianMirror("bookworm", etc)).toBe("http://deb.debian.org/debian");
  });

  it("falls back to sources.list, and says what to do when nothing carries the suite", async () => {
    writeFileSync(join(etc, "sources.list"), "deb http://list.example/debian trixie main\n");
    expect(await hostDebianMirror("trixie", etc)).toBe("http://list.example/debian");
    await expect(hostDebianMirror("sid", etc)).rejects.toMatchObject({ code: "PREREQUISITE_MISSING" });
  });
});
