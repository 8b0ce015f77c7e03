/**
 * @module github
 * GitHub through Octokit: puppet environments from a repository's branches, SSH keys of gh: users.
 */
export * from "./github-client.ts";
export * from "./environment-name.ts";
export * from "./environment-sync.ts";
export * from "./ssh-key-import.ts";
