// Which targets a run touches, for the one-real-run-per-target lock: every configured cluster, DNS
// zone, consumer fleet or replication flow (as its two clusters) named by a step input or a param
// value. Over-locking on a coincidental name is the safe error; a runbook naming none locks itself.
import type { Config } from "../config/schema.js";
import type { JsonValue } from "../engine/json.js";
import type { ParamValue, Runbook } from "../engine/runbook/model.js";

export interface TargetUniverse {
  clusters: readonly string[];
  dnsZones: readonly string[];
  consumerFleets: readonly string[];
  /** Flow name → its source and target clusters. */
  flows: Readonly<Record<string, { source: string; target: string }>>;
}

export function targetUniverse(config: Config): TargetUniverse {
  const flows: Record<string, { source: string; target: string }> = {};
  for (const [name, f] of Object.entries(config.replication))
    flows[name] = { source: f.source, target: f.target };
  return {
    clusters: Object.keys(config.clusters),
    dnsZones: Object.keys(config.dns),
    consumerFleets: Object.keys(config.consumers),
    flows,
  };
}

function strings(value: JsonValue | ParamValue | undefined, out: Set<string>, depth = 0): void {
  if (depth > 64 || value === undefined || value === null) return;
  if (typeof value === "string") out.add(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      strings(v, out, depth + 1);
    }
  }
}

export function runTargets(
  runbook: Runbook,
  params: Readonly<Record<string, ParamValue>>,
  universe: TargetUniverse,
): string[] {
  const seen = new Set<string>();
  for (const step of runbook.steps) strings(step.with, seen);
  for (const v of Object.values(params)) strings(v, seen);
  const targets = new Set<string>();
  for (const s of seen) {
    if (universe.clusters.includes(s)) targets.add(`cluster:${s}`);
    if (universe.dnsZones.includes(s)) targets.add(`dns:${s}`);
    if (universe.consumerFleets.includes(s)) targets.add(`consumers:${s}`);
    const flow = universe.flows[s];
    if (flow && Object.hasOwn(universe.flows, s)) {
      targets.add(`cluster:${flow.source}`);
      targets.add(`cluster:${flow.target}`);
    }
  }
  if (targets.size === 0) targets.add(`runbook:${runbook.metadata.name}`);
  return [...targets].sort();
}
