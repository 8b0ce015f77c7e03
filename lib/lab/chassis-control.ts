/**
 * @module lab/chassis-control
 * The program ipmi_sim runs for chassis actions (its `chassis_control`), rendered as a
 * POSIX sh script by a pure function. ipmi_sim calls it with `get power boot`, `set power
 * 1|0`, `set boot pxe|default|...`, `set reset 1` and `set shutdown 1`; the script starts the
 * VM's qemu daemonized (`-daemonize -pidfile`) and stops it by that pidfile. Every value in
 * it is single-quoted, so paths and arguments are never read as shell syntax.
 */

/** What the script needs to know about its VM. */
export interface ChassisControlInput {
  /** The VM's name, for the script's header only. */
  readonly name: string;
  /** qemu's argv when the next boot is from the network, and when it is from disk; both write `pidFile`. */
  readonly startPxe: readonly string[];
  readonly startDisk: readonly string[];
  readonly pidFile: string;
  /** Where the last `set boot` is kept. */
  readonly bootFile: string;
  /** qemu's own output before it daemonizes (ipmi_sim waits for the script's output to end). */
  readonly logFile: string;
}

/** `value` as one single-quoted sh word. */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new Error("a shell word cannot hold a NUL byte");
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function words(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** The chassis_control script for one VM. */
export function renderChassisControl(input: ChassisControlInput): string {
  if (!input.startPxe.includes(input.pidFile) || !input.startDisk.includes(input.pidFile)) {
    // The script recognises its qemu by the pidfile path on the command line.
    throw new Error("both qemu command lines must name the pidfile");
  }
  return `#!/bin/sh
# Orchestra lab: ipmi_sim's chassis_control program for ${input.name.replace(/[^A-Za-z0-9._-]/g, "?")}. Generated; do not edit.
PIDFILE=${shellQuote(input.pidFile)}
BOOTFILE=${shellQuote(input.bootFile)}
LOG=${shellQuote(input.logFile)}

# The pid in the pidfile is our qemu only if that process names the pidfile (pids get reused).
vm_pid() {
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  tr '\\000' '\\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$PIDFILE" || return 1
  echo "$pid"
}

start() {
  vm_pid >/dev/null && return 0
  if [ "$(cat "$BOOTFILE" 2>/dev/null)" = pxe ]; then
    set -- ${words(input.startPxe)}
  else
    set -- ${words(input.startDisk)}
  fi
  "$@" >>"$LOG" 2>&1 </dev/null
}

# SIGTERM, then SIGKILL after 5 s; returns once qemu is gone, so the next "get power" says off.
stop() {
  pid=$(vm_pid) || return 0
  kill -TERM "$pid" 2>/dev/null
  for signal in KILL ""; do
    i=0
    while vm_pid >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    vm_pid >/dev/null || return 0
    [ -n "$signal" ] && kill -"$signal" "$pid" 2>/dev/null
  done
  return 1
}

case "$1" in
get)
  shift
  for what in "$@"; do
    case "$what" in
    power) if vm_pid >/dev/null; then echo power:1; else echo power:0; fi ;;
    boot) echo "boot:$(cat "$BOOTFILE" 2>/dev/null || echo default)" ;;
    esac
  done
  ;;
set)
  case "$2" in
  power) if [ "$3" = 1 ]; then start; else stop; fi ;;
  boot)
    case "$3" in ''|*[!a-z0-9_-]*) exit 1 ;; esac
    echo "$3" > "$BOOTFILE"
    ;;
  # A reset starts qemu afresh, so that it boots from the device set last.
  reset) stop && start ;;
  # qemu ends on SIGTERM without asking the guest: a soft shutdown is a hard one here.
  shutdown) stop ;;
  *) exit 1 ;;
  esac
  ;;
*) exit 1 ;;
esac
`;
}
