/**
 * @module puppet/autosign-script
 * The executable puppet.conf's `autosign` names: puppetserver gives it one argument (the
 * certname) and the CSR on stdin, and it hands both to `orchestra autosign` against the
 * site's store. Pure renderer; the caller writes it 0755.
 */

/** Quote a word for /bin/sh (single quotes, with embedded quotes closed and escaped). */
function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The policy script for an orchestra command (argv of the binary) and its data directory. */
export function renderAutosignScript(input: { orchestra: readonly string[]; dataDir: string; databaseUrlFile?: string }): string {
  const argv = [...input.orchestra, "--data-dir", input.dataDir, "autosign"].map(shellWord).join(" ");
  return [
    "#!/bin/sh",
    "# Orchestra's puppet autosign policy: exit 0 signs, anything else leaves the CSR for an operator.",
    "# Managed by Orchestra; changes are overwritten.",
    `exec ${argv} "$1"`,
    "",
  ].join("\n");
}
