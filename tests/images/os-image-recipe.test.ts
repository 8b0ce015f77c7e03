import { describe, expect, it } from "vitest";
import { OS_DATASOURCE_CONFIG_PATH } from "../../lib/images/os-image-config.ts";
import { OS_IMAGE_PACKAGES, osImageName, osImageRecipe, osImageRecipeKey } from "../../lib/images/os-image-recipe.ts";

const MIRROR = "http://deb.debian.org/debian";

describe("the OS image recipe", () => {
  it("installs systemd, the kernel, cloud-init and what cloud-init's DHCP fallback and growpart need", () => {
    for (const name of ["systemd-sysv", "linux-image-amd64", "cloud-init", "ifupdown", "isc-dhcp-client", "iproute2", "cloud-guest-utils"]) expect(OS_IMAGE_PACKAGES).toContain(name);
    const recipe = osImageRecipe("bookworm", MIRROR);
    expect(recipe.files[OS_DATASOURCE_CONFIG_PATH]).toContain("datasource_list: [ NoCloud, None ]");
    expect(recipe.files["etc/fstab"]).toContain("LABEL=orchestra-root");
  });

  it("has a key that depends on suite, mirror and packages, but not on the order packages are given in", () => {
    const key = osImageRecipeKey(osImageRecipe("bookworm", MIRROR));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(osImageRecipeKey(osImageRecipe("bookworm", MIRROR))).toBe(key);
    expect(osImageRecipeKey(osImageRecipe("trixie", MIRROR))).not.toBe(key);
    expect(osImageRecipeKey(osImageRecipe("bookworm", "http://other.example/debian"))).not.toBe(key);
    const extra = osImageRecipeKey(osImageRecipe("bookworm", MIRROR, ["openssh-server", "curl"]));
    expect(extra).not.toBe(key);
    expect(osImageRecipeKey(osImageRecipe("bookworm", MIRROR, ["curl", "openssh-server", "curl"]))).toBe(extra);
    expect(osImageRecipeKey(osImageRecipe("bookworm", MIRROR, ["cloud-init"]))).toBe(key);
  });

  it("refuses what debootstrap would be handed unchecked", () => {
    expect(() => osImageRecipe("Bookworm; rm", MIRROR)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => osImageRecipe("bookworm", "mirror+file:/x")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => osImageRecipe("bookworm", MIRROR, ["--foo"])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("names the image after the Debian version", () => {
    expect(osImageName("bookworm")).toBe("debian-12-cloud");
    expect(osImageName("sid")).toBe("debian-sid-cloud");
  });
});
