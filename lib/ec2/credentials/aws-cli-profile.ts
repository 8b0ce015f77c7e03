/**
 * @module ec2/credentials/aws-cli-profile
 * An access key as a named AWS CLI profile, so that `aws --profile NAME ec2 ...` (and boto3,
 * the SDKs, Terraform) reach Orchestra with no exports: the key in the shared credentials
 * file, the region and endpoint in the config file. Pure renderers over the files' text;
 * the caller reads and writes the files.
 */

/** What a profile carries. */
export interface AwsCliProfile {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The EC2 endpoint, e.g. http://127.0.0.1:8773 (AWS CLI 1.29+/2.13+ and boto3 1.28+ read it from the profile). */
  endpointUrl: string;
}

/**
 * `text` (an INI file) with section `[header]` set to exactly `entries`: replaced in place
 * when it exists, appended otherwise. Every other section and comment is left as it was.
 */
export function upsertIniSection(text: string, header: string, entries: ReadonlyArray<readonly [string, string]>): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const body = [`[${header}]`, ...entries.map(([key, value]) => `${key} = ${value}`)];
  const start = lines.findIndex((line) => line.trim() === `[${header}]`);
  if (start < 0) return [...lines, ...(lines.length ? [""] : []), ...body].join("\n") + "\n";
  let end = start + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end]!)) end++;
  // Keep the blank line that separated this section from the next one.
  const trailing = end < lines.length && lines[end - 1]!.trim() === "" ? [""] : [];
  return [...lines.slice(0, start), ...body, ...trailing, ...lines.slice(end)].join("\n") + "\n";
}

/** The shared credentials file's text with the profile's key in it. */
export function renderCredentialsFile(existing: string, profile: AwsCliProfile): string {
  return upsertIniSection(existing, profile.name, [
    ["aws_access_key_id", profile.accessKeyId],
    ["aws_secret_access_key", profile.secretAccessKey],
  ]);
}

/** The config file's text with the profile's region and endpoint in it. */
export function renderConfigFile(existing: string, profile: AwsCliProfile): string {
  // The config file names every profile but the default one `profile NAME`.
  const header = profile.name === "default" ? "default" : `profile ${profile.name}`;
  return upsertIniSection(existing, header, [
    ["region", profile.region],
    ["endpoint_url", profile.endpointUrl],
  ]);
}

/** A profile name the AWS CLI accepts and the INI files can hold. */
export function isProfileName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name);
}
