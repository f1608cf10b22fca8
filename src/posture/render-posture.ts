// The text/plain rendering of a posture report: the ten-second summary first, then the findings,
// most severe first, each with its rule and fix.
import type { Posture } from "./posture-service.js";

const MARK = { critical: "CRIT", warning: "WARN", info: "INFO" } as const;

export function renderPosture(p: Posture, opts: { maxFindings?: number } = {}): string {
  const out: string[] = [];
  if (p.kind === "cluster") {
    out.push(`DR posture of cluster ${p.cluster} (${p.generatedAt})`);
    for (const line of p.summary.lines) out.push(`  ${line}`);
    if ("error" in p.quorum) out.push(`quorum: unknown (${p.quorum.error})`);
    else {
      const per = Object.entries(p.quorum.votersPerDatacenter)
        .map(([dc, n]) => `${dc}=${n}`)
        .join(" ");
      out.push(
        `quorum: ${p.quorum.voters.length} voters (${per}), leader ${p.quorum.leaderId}, majority ${p.quorum.majority}`,
      );
    }
    const modes = new Map<string, number>();
    for (const t of p.topics) modes.set(t.mode, (modes.get(t.mode) ?? 0) + 1);
    out.push(
      `topics: ${p.topicCount}${modes.size ? ` (${[...modes].map(([m, n]) => `${n} ${m}`).join(", ")})` : ""}`,
    );
  } else {
    out.push(
      `DR posture of flow ${p.flow}: ${p.source} → ${p.target}, ${p.naming} naming (${p.generatedAt})`,
    );
    for (const line of p.summary.lines) out.push(`  ${line}`);
    out.push(
      `topics: ${p.topics.mirrored} mirrored, ${p.topics.notMirrored.length} not mirrored, ${p.topics.partitionMismatches.length} partition mismatches, ${p.topics.configDifferences} config differences`,
    );
    out.push(
      "error" in p.acls
        ? `acls: not compared (${p.acls.error})`
        : `acls: ${p.acls.onlyOnSource.length} only on ${p.source}, ${p.acls.onlyOnTarget.length} only on ${p.target}`,
    );
    out.push(
      `groups: ${p.groups.length} (${p.groups.filter((g) => g.checkpointAgeMs === null).length} without checkpoints), heartbeat age ${p.heartbeatAgeMs === null ? "unknown" : `${(p.heartbeatAgeMs / 1000).toFixed(1)} s`}`,
    );
  }
  const max = opts.maxFindings ?? 200;
  out.push(`findings: ${p.findings.length}`);
  for (const f of p.findings.slice(0, max)) {
    out.push(`${MARK[f.severity]} ${f.rule} ${f.subject.kind} ${f.subject.name}: ${f.message}`);
    out.push(`     fix: ${f.fix}`);
  }
  if (p.findings.length > max) out.push(`… ${p.findings.length - max} more (see the JSON form)`);
  return `${out.join("\n")}\n`;
}
