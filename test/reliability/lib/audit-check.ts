// What the audit must hold for a finished run, derived from the run's own record: each transition
// the record implies exactly once (missing = lost, repeated = executed twice), one step.applied per
// applied step, and the whole chain verifying. Also: every entry of the run in the Redis stream is in
// some process's fsync'd JSONL copy.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditPort } from "../../../src/api/deps.js";
import type { AuditEntry } from "../../../src/audit/audit-entry.js";
import type { RunRecord } from "../../../src/engine/run-record.js";

export interface AuditFindings {
  entries: AuditEntry[];
  lost: string[];
  repeated: string[];
  notInJsonl: number[];
  chainOk: boolean;
  chainReason?: string;
}

export async function runAudit(audit: AuditPort, runId: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await audit.query({ runId, afterSeq, limit: 1_000 });
    out.push(...page.entries);
    if (page.nextAfterSeq === null) return out;
    afterSeq = page.nextAfterSeq;
  }
}

const STEP_PATH = ["pending→planning", "planning→applying", "applying→verifying", "verifying→succeeded"];

export async function checkRunAudit(
  audit: AuditPort,
  run: RunRecord,
  jsonlDir: string,
): Promise<AuditFindings> {
  const entries = await runAudit(audit, run.id);
  const count = new Map<string, number>();
  const bump = (k: string): void => void count.set(k, (count.get(k) ?? 0) + 1);
  for (const e of entries) {
    const d = e.data as { from?: string; to?: string };
    if (e.action === "run.transition" || e.action === "step.transition") {
      bump(`${e.stepId ?? "run"} ${d.from}→${d.to}`);
    } else bump(`${e.stepId ?? "run"} ${e.action}`);
  }
  const expected: string[] = ["run run.created", "run queued→running", `run running→${run.state}`];
  for (const s of run.steps) {
    if (s.state === "skipped") expected.push(`${s.id} pending→skipped`);
    else if (s.state === "succeeded") {
      for (const t of STEP_PATH) expected.push(`${s.id} ${t}`);
      expected.push(`${s.id} step.applied`);
    }
  }
  const lost = expected.filter((k) => (count.get(k) ?? 0) === 0);
  const repeated = expected.filter((k) => (count.get(k) ?? 0) > 1).map((k) => `${k} ×${count.get(k)}`);

  const inJsonl = new Set<number>();
  if (existsSync(jsonlDir)) {
    for (const f of readdirSync(jsonlDir).filter((n) => n.endsWith(".jsonl"))) {
      for (const line of readFileSync(join(jsonlDir, f), "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          const e = JSON.parse(line) as { seq?: number; runId?: string };
          if (e.runId === run.id && typeof e.seq === "number") inJsonl.add(e.seq);
        } catch {
          /* a line cut by SIGKILL is not an entry */
        }
      }
    }
  }
  const notInJsonl = entries.filter((e) => !inJsonl.has(e.seq)).map((e) => e.seq);
  const verified = await audit.verify();
  return {
    entries,
    lost,
    repeated,
    notInJsonl,
    chainOk: verified.ok,
    ...(verified.ok ? {} : { chainReason: `${verified.brokenAt}: ${verified.reason}` }),
  };
}
