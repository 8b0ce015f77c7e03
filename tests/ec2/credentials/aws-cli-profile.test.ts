import { describe, expect, it } from "vitest";
import { renderConfigFile, renderCredentialsFile, upsertIniSection } from "../../../lib/ec2/credentials/aws-cli-profile.ts";

const profile = { name: "orchestra-demo", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cret", region: "orchestra", endpointUrl: "http://127.0.0.1:8773" };

describe("the AWS CLI profile files", () => {
  it("adds a profile to empty files", () => {
    expect(renderCredentialsFile("", profile)).toBe("[orchestra-demo]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cret\n");
    expect(renderConfigFile("", profile)).toBe("[profile orchestra-demo]\nregion = orchestra\nendpoint_url = http://127.0.0.1:8773\n");
  });

  it("replaces the profile in place and leaves every other section as it was", () => {
    const existing = "# mine\n[default]\naws_access_key_id = A\n\n[orchestra-demo]\naws_access_key_id = OLD\naws_secret_access_key = OLD\n\n[work]\naws_access_key_id = W\n";
    expect(renderCredentialsFile(existing, profile)).toBe(
      "# mine\n[default]\naws_access_key_id = A\n\n[orchestra-demo]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cret\n\n[work]\naws_access_key_id = W\n",
    );
  });

  it("appends after existing sections with a blank line", () => {
    expect(upsertIniSection("[default]\nregion = eu-west-1\n", "profile x", [["region", "orchestra"]])).toBe("[default]\nregion = eu-west-1\n\n[profile x]\nregion = orchestra\n");
  });

  it("names the default profile without the 'profile' prefix in the config file", () => {
    expect(renderConfigFile("", { ...profile, name: "default" })).toMatch(/^\[default\]\n/);
  });
});
