// The drill invariants, as named checks the demo prints and the e2e tests assert.
import { isDeepStrictEqual } from "node:util";
import type { Mm2DrillResult, StrandedRange } from "./mm2-drill.js";

/** Clock and timestamp granularity between the producer's ack time and the record timestamps. */
const RPO_SLACK_MS = 1_000;

function rangesText(ranges: readonly StrandedRange[]): string {
  return ranges.length === 0
    ? "none"
    : ranges.map((r) => `${r.topic}-${r.partition} ${r.fromOffset}..${r.toOffset} (${r.count})`).join(", ");
}

/** The name clients bootstrap from, which failover repoints and failback restores. */
const PRIMARY_RECORD = "kafka-primary.dr.test";

const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * Before vs after, read as what it is: an equality as `label = value (as before)`, a difference
 * as `label: before → after`. (An arrow between two equal values reads like a change.)
 */
export function sameOrChanged(label: string, before: unknown, after: unknown): string {
  return isDeepStrictEqual(before, after)
    ? `${label} ${label.endsWith(" on") ? "" : "= "}${show(after)} (as before)`
    : `${label}: ${show(before)} → ${show(after)}`;
}

export interface InvariantCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** Shown, but not part of the verdict: a known gap of a step, named in the detail. */
  informational?: boolean;
}

/** The checks that decide a drill's verdict. */
export function failedChecks(checks: readonly InvariantCheck[]): InvariantCheck[] {
  return checks.filter((c) => !c.ok && !c.informational);
}

/** The reprocess bound the runbook predicted: the real run's estimate, else its dry-run's. */
export function predictedReprocess(r: Mm2DrillResult): number | null {
  return r.predicted.reprocess ?? r.predicted.dryRunReprocess;
}

export function checkMm2Invariants(r: Mm2DrillResult): InvariantCheck[] {
  const window = predictedReprocess(r);
  const sameConnectors = JSON.stringify(r.before.connectors) === JSON.stringify(r.after.connectors);
  const sameConfigs = JSON.stringify(r.before.topicConfigs) === JSON.stringify(r.after.topicConfigs);
  const graceful: InvariantCheck[] =
    r.mode === "graceful"
      ? [
          {
            name: "graceful switchover: RPO 0, nothing processed twice",
            ok:
              r.strandedActual === 0 &&
              r.duplicatesAfterFailover === 0 &&
              r.missingAfterFailover.length === 0,
            detail: `${r.strandedActual} stranded, ${r.duplicatesAfterFailover} duplicates, ${r.missingAfterFailover.length} missing`,
          },
        ]
      : [];
  return [
    ...graceful,
    {
      name: "no replicated order lost",
      ok: r.missingAfterFailover.length === 0,
      detail: `${r.replicatedBeforeFailure} of ${r.ackedOnDc1} orders acknowledged on dc1 were replicated before the failure; ${r.missingAfterFailover.length} of them not processed after failover${r.missingAfterFailover.length ? ` (${r.missingAfterFailover.slice(0, 10).join(", ")})` : ""}`,
    },
    {
      name: "duplicates within the predicted reprocess window",
      ok: window !== null && r.duplicatesAfterFailover <= window,
      detail: `${r.duplicatesAfterFailover} processed twice; predicted ≤ ${window ?? "unknown"} (dry-run ${r.predicted.dryRunReprocess ?? "?"}, real run ${r.predicted.reprocess ?? "unknown: dc1 unreachable"})`,
    },
    {
      name: "stranded orders reported exactly",
      ok:
        r.strandedReported === r.strandedActual &&
        JSON.stringify(r.strandedReportedRanges) === JSON.stringify(r.strandedRanges),
      detail: `${r.strandedActual} acknowledged on dc1 but never replicated (${rangesText(r.strandedRanges)}); failback's kafka.checkReplication reported ${r.strandedReported ?? "unknown"} (${r.strandedReportedRanges ? rangesText(r.strandedReportedRanges) : "no ranges"})`,
    },
    ...(r.mode === "ungraceful"
      ? [
          {
            name: "the RPO estimate bounds what was lost",
            ok:
              r.rpo.rpoAgeMs !== null &&
              r.rpo.verifyAt !== null &&
              (r.rpo.oldestStrandedAckAt === null ||
                r.rpo.oldestStrandedAckAt >= r.rpo.verifyAt - r.rpo.rpoAgeMs - RPO_SLACK_MS),
            detail:
              r.rpo.rpoAgeMs === null || r.rpo.verifyAt === null
                ? "the failover reported no RPO"
                : `RPO ${(r.rpo.rpoAgeMs / 1000).toFixed(1)} s at the verification: lost orders acknowledged from ${new Date(r.rpo.verifyAt - r.rpo.rpoAgeMs).toISOString()} on; oldest lost order ${r.rpo.oldestStrandedAckAt === null ? "none" : new Date(r.rpo.oldestStrandedAckAt).toISOString()}`,
          },
        ]
      : []),
    {
      name: "every acknowledged order processed after failback",
      ok: r.missingAfterFailback.length === 0,
      detail: `${r.ackedOnDc1} acked on dc1 + ${r.ackedOnDc2} on dc2; ${r.missingAfterFailback.length} never processed`,
    },
    {
      name: "after failback the world equals the before-state",
      ok:
        r.after.dnsTarget === r.before.dnsTarget &&
        sameConnectors &&
        sameConfigs &&
        r.after.consumerCluster === r.before.consumerCluster,
      detail: [
        sameOrChanged(`DNS ${PRIMARY_RECORD}`, r.before.dnsTarget, r.after.dnsTarget),
        sameOrChanged("connectors", r.before.connectors, r.after.connectors),
        sameOrChanged("topic configs", r.before.topicConfigs, r.after.topicConfigs),
        sameOrChanged("consumers on", r.before.consumerCluster, r.after.consumerCluster),
      ].join("; "),
    },
  ];
}
