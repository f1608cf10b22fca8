// One thing the DR posture report found: what it is about, the rule that fired, what a datacenter
// loss would do because of it, and the fix. Every finding names its subject; none is free text only.

export type Severity = "critical" | "warning" | "info";

export type SubjectKind =
  "cluster" | "voter" | "topic" | "partition" | "group" | "acl" | "connector" | "flow";

export interface Finding {
  severity: Severity;
  /** Stable rule id, e.g. "topic.consistency-first"; documented in docs of the posture endpoint. */
  rule: string;
  subject: { kind: SubjectKind; name: string };
  /** What is the case now, in one sentence. */
  message: string;
  /** Datacenters whose loss turns this finding into an outage (empty when it does not depend on one). */
  onLossOf: string[];
  fix: string;
}

const ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first, then by rule and subject, so reports diff cleanly between runs. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      ORDER[a.severity] - ORDER[b.severity] ||
      a.rule.localeCompare(b.rule) ||
      a.subject.name.localeCompare(b.subject.name),
  );
}
