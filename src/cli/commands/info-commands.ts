// Read-only commands: runbooks, evaluate (pre-flight), posture, audit verify, whoami; and audit restore
// (admin, after state-lost), which sits beside verify.
import type { Command } from "commander";
import type { Schemas } from "../api-client.js";
import { usageError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import { collectParam, parseParams } from "../params.js";
import type { Session } from "../session.js";

const enc = encodeURIComponent;

export function infoCommands(program: Command, s: Session): void {
  program
    .command("runbooks")
    .description("the runbooks the service knows, with their validity")
    .action(async () => {
      const list = await s.api.json<Schemas["RunbookList"]>("GET", "/v1/runbooks");
      if (s.out.json) return s.out.document(list);
      const w = Math.max(4, ...list.items.map((r) => r.name.length));
      s.out.line(`${"NAME".padEnd(w)}  STEPS  VALID  DESCRIPTION`);
      for (const r of list.items) {
        s.out.line(
          `${r.name.padEnd(w)}  ${String(r.steps ?? "-").padStart(5)}  ${(r.valid ? "yes" : "NO").padEnd(5)}  ${r.description ?? ""}`,
        );
        for (const p of r.problems ?? [])
          s.out.line(`${" ".repeat(w + 16)}error ${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`);
      }
    });

  program
    .command("evaluate")
    .argument("<runbook>")
    .description(
      "pre-flight a runbook now, read-only: ready, degraded or blocked per step (exit 1 when blocked)",
    )
    .option("-p, --param <key=value>", "a runbook parameter (repeatable)", collectParam, [])
    .action(async (runbook: string, o: { param: string[] }) => {
      const detail = await s.api.json<Schemas["RunbookDetail"]>("GET", `/v1/runbooks/${enc(runbook)}`);
      const body: Schemas["EvaluateRequest"] = { params: parseParams(o.param, detail.paramsSchema) };
      const ev = await s.api.json<Schemas["RunbookEvaluation"]>(
        "POST",
        `/v1/runbooks/${enc(runbook)}/evaluate`,
        body,
        undefined,
        120_000,
      );
      s.exitCode = ev.outcome === "blocked" ? ExitCode.Failed : ExitCode.Ok;
      if (s.out.json) return s.out.document(ev);
      s.out.line(`${ev.runbook} ${ev.outcome.toUpperCase()}: ${ev.reason}  (${ev.durationMs} ms)`);
      const w = Math.max(4, ...ev.steps.map((st) => st.id.length));
      for (const st of ev.steps) {
        s.out.line(`  ${st.id.padEnd(w)}  ${st.outcome.padEnd(8)}  ${st.reason}`);
        for (const c of st.checks)
          if (c.outcome !== "ready") s.out.line(`  ${" ".repeat(w)}    ${c.outcome} ${c.check}: ${c.reason}`);
      }
    });

  program
    .command("posture")
    .description("the DR posture of a cluster (--cluster) or a replicated pair (--pair)")
    .option("--cluster <name>", "a cluster of the environment file, e.g. stretch")
    .option("--pair <flow>", "a replication flow, e.g. dc1-to-dc2")
    .action(async (o: { cluster?: string; pair?: string }) => {
      if (Boolean(o.cluster) === Boolean(o.pair)) throw usageError("give exactly one of --cluster or --pair");
      const q = o.cluster ? `cluster=${enc(o.cluster)}` : `pair=${enc(o.pair!)}`;
      if (s.out.json) s.out.document(await s.api.json<Schemas["Posture"]>("GET", `/v1/posture?${q}`));
      else s.out.block(await s.api.text(`/v1/posture?${q}`));
    });

  const audit = program.command("audit").description("the audit log");
  audit
    .command("verify")
    .description("walk the audit hash chain; exit 1 and name the first broken entry if it is broken")
    .action(async () => {
      const v = await s.api.json<Schemas["AuditVerification"]>(
        "GET",
        "/v1/audit/verify",
        undefined,
        undefined,
        120_000,
      );
      s.exitCode = v.ok ? ExitCode.Ok : ExitCode.Failed;
      if (s.out.json) return s.out.document(v);
      if (v.ok)
        s.out.line(
          `audit chain intact: ${v.checked} entries checked${v.headHash ? `, head ${v.headHash}` : ""}`,
        );
      else if (v.stateLost)
        s.out.line(
          `STATE LOST (${v.stateLost.condition}): ${v.stateLost.detail}\nrun commands are refused until an admin restores the chain from the audit file: switchover audit restore`,
        );
      else
        s.out.line(
          `audit chain BROKEN at entry ${v.firstBroken?.seq ?? "?"}: ${v.firstBroken?.reason ?? "?"} (${v.checked} entries intact before it)`,
        );
    });

  audit
    .command("restore")
    .description(
      "admin: after Redis lost state (state-lost), re-import the audit chain from the service's audit file; the chain continues at the next seq",
    )
    .action(async () => {
      const r = await s.api.json<Schemas["AuditRestore"]>(
        "POST",
        "/v1/audit/restore",
        undefined,
        undefined,
        120_000,
      );
      if (s.out.json) return s.out.document(r);
      s.out.line(
        `audit chain restored (${r.condition}): ${r.imported} entries written back, head ${r.head}; the restore is entry ${r.entry.seq}`,
      );
      if (r.displaced > 0)
        s.out.line(
          `${r.displaced} entries Redis held that disagreed with the file were moved aside to ${r.displacedKey ?? "?"}`,
        );
    });

  program
    .command("whoami")
    .description("who the current context's token is, and what it may do")
    .action(async () => {
      const me = await s.api.json<Schemas["WhoAmI"]>("GET", "/v1/whoami");
      if (s.out.json) return s.out.document(me);
      const can = Object.entries(me.can)
        .filter(([, v]) => v === true)
        .map(([k]) => k);
      s.out.line(
        `${me.actor} (${me.roles.join(", ") || "no roles"}) on ${s.target().url} [context ${s.target().context}]`,
      );
      s.out.line(`may: ${can.join(", ") || "nothing"}`);
    });
}
