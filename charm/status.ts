/**
 * @module charm/status
 * What the unit reports: gathered as facts during the hook, turned into one status at
 * the end (a pure function, so every hook ends with the same rule).
 */

/** Things learnt during a hook that decide the status. */
export interface Facts {
  /** Problems only the operator can fix (bad config, a missing relation). */
  blocked: string[];
  /** Things that will sort themselves out (a related app not ready yet). */
  waiting: string[];
  /** Informational notes shown in an active status. */
  notes: string[];
  /** Machine counts per state, when the inventory was read (update-status). */
  machines?: Record<string, number>;
  /** Components whose service is not running. */
  stopped: string[];
}

/** Empty facts. */
export function newFacts(): Facts {
  return { blocked: [], waiting: [], notes: [], stopped: [] };
}

/** A workload status the unit sets. */
export interface UnitStatus {
  status: "active" | "blocked" | "waiting" | "maintenance";
  message: string;
}

/** Summarises machine counts as `3 machines: 2 ready, 1 new`. */
export function machineSummary(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) return "no machines yet";
  const parts = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([state, n]) => `${n} ${state}`);
  return `${total} machine${total === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** The one status for these facts: blocked beats waiting beats a stopped service beats active. */
export function computeStatus(facts: Facts): UnitStatus {
  if (facts.blocked.length > 0) return { status: "blocked", message: facts.blocked.join("; ") };
  if (facts.waiting.length > 0) return { status: "waiting", message: facts.waiting.join("; ") };
  if (facts.stopped.length > 0) return { status: "maintenance", message: `not running: ${facts.stopped.join(", ")}` };
  const parts = [...(facts.machines ? [machineSummary(facts.machines)] : []), ...facts.notes];
  return { status: "active", message: parts.join("; ") };
}
