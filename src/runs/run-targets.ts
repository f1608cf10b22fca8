// Which targets a real run locks, for the one-real-run-per-target rule: the targets its steps
// declare (StepDefinition.targets), resolved from the run's params before it starts — never any
// string that happens to equal a name. A flow locks its two clusters and its Connect worker. A
// declared target that cannot be resolved refuses the run (fail closed); naming none locks the runbook.
import type { Config } from "../config/schema.js";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { ParamValue, Runbook } from "../engine/runbook/model.js";
import type { StepCatalog } from "../engine/step-catalog.js";
import { resolveRunbookTargets } from "../engine/step-targets.js";
import type { NamedTarget, RunbookTargets } from "../engine/step-targets.js";
import { targetsFromConfig } from "../engine/target-catalog.js";
import type { TargetCatalog } from "../engine/target-catalog.js";

export interface TargetUniverse {
  /** The configured names of each kind, which a resolved target must be one of. */
  names: TargetCatalog;
  /** Flow name → its source and target clusters and the Connect worker running its connectors. */
  flows: Readonly<Record<string, { source: string; target: string; connect?: string }>>;
}

export function targetUniverse(config: Config): TargetUniverse {
  const flows: Record<string, { source: string; target: string; connect?: string }> = {};
  for (const [name, f] of Object.entries(config.replication)) {
    flows[name] = { source: f.source, target: f.target, ...(f.connect ? { connect: f.connect } : {}) };
  }
  return { names: targetsFromConfig(config), flows };
}

/**
 * The lock keys of a real run ("cluster:dc1", "dns:primary", …), sorted. Throws TARGET_UNRESOLVED,
 * with every unresolvable field located, before anything is locked or created.
 */
export function runTargets(
  runbook: Runbook,
  params: Readonly<Record<string, ParamValue>>,
  steps: StepCatalog,
  universe: TargetUniverse,
  runId: string,
): string[] {
  const resolved = resolve(runbook, params, steps, universe, runId);
  if (resolved.problems.length > 0) {
    const first = resolved.problems[0]!;
    throw new SwitchoverError(
      ErrorCode.TargetUnresolved,
      `runbook ${runbook.metadata.name}: ${first.path}: ${first.message}` +
        `${resolved.problems.length > 1 ? ` (and ${resolved.problems.length - 1} more)` : ""}; ` +
        "a real run must know every target it changes before it starts",
      { details: { problems: resolved.problems } },
    );
  }
  return lockKeys(runbook, resolved.targets, universe);
}

/** What a real run with these params would lock, leaving out what cannot be resolved yet. */
export function previewTargets(
  runbook: Runbook,
  params: Readonly<Record<string, ParamValue>>,
  steps: StepCatalog,
  universe: TargetUniverse,
): string[] {
  const { targets } = resolve(runbook, params, steps, universe, "preview");
  return lockKeys(runbook, targets, universe).filter((t) => !t.startsWith("runbook:"));
}

function resolve(
  runbook: Runbook,
  params: Readonly<Record<string, ParamValue>>,
  steps: StepCatalog,
  universe: TargetUniverse,
  runId: string,
): RunbookTargets {
  return resolveRunbookTargets(runbook, params, steps, universe.names, { id: runId, dryRun: false });
}

function lockKeys(runbook: Runbook, named: readonly NamedTarget[], universe: TargetUniverse): string[] {
  const keys = new Set<string>();
  for (const t of named) for (const key of keysOf(t, universe)) keys.add(key);
  if (keys.size === 0) keys.add(`runbook:${runbook.metadata.name}`);
  return [...keys].sort();
}

function keysOf(t: NamedTarget, universe: TargetUniverse): string[] {
  switch (t.kind) {
    case "cluster":
      return [`cluster:${t.name}`];
    case "dns zone":
      return [`dns:${t.name}`];
    case "consumer fleet":
      return [`consumers:${t.name}`];
    case "connect worker":
      return [`connect:${t.name}`];
    case "replication flow": {
      const flow = Object.hasOwn(universe.flows, t.name) ? universe.flows[t.name] : undefined;
      // Resolution checked the name against the same config, so a flow is always found here.
      if (!flow) return [`flow:${t.name}`];
      return [
        `cluster:${flow.source}`,
        `cluster:${flow.target}`,
        ...(flow.connect ? [`connect:${flow.connect}`] : []),
      ];
    }
  }
}
