/**
 * @module puppet/autosign-script
 * The executable puppet.conf's `autosign` names: puppetserver gives it one argument (the
 * certname) and the CSR on stdin, and it hands both to `orchestra autosign`: against the
 * site's store (`dataDir`), or a running server's route (`serverUrl`) when puppetserver runs
 * as a user that may not open the store. Pure renderer; the caller writes it 0755.
 */

/** Quote a word for /bin/sh (single quotes, with embedded quotes closed and escaped). */
function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The policy script for an orchestra command (argv of the binary) and its data directory. */
export function renderAutosignScript(input: { orchestra: readonly string[]; dataDir?: string; serverUrl?: string }): string {
  const target = input.serverUrl !== undefined ? ["autosign", "--url", input.serverUrl] : ["--data-dir", input.dataDir ?? "", "autosign"];
  const argv = [...input.orchestra, ...target].map(shellWord).join(" ");
  return [
    "#!/bin/sh",
    "# Orchestra's puppet autosign policy: exit 0 signs, anything else leaves the CSR for an operator.",
    "# Managed by Orchestra; changes are overwritten.",
    `exec ${argv} "$1"`,
    "",
  ].join("\n");
}
