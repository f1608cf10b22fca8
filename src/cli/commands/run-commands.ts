// Runs: plan (a dry-run, waited for and shown), run (--real, pinned to a reviewed plan, watched),
// watch, the human gate and the incident levers (approve, reject, cancel, retry, skip, revert),
// runs and report. Each is one or two API calls; the exit code follows the run's state.
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { Run, Schemas } from "../api-client.js";
import { usageError } from "../cli-error.js";
import { ExitCode, exitCodeOfRunState } from "../exit-codes.js";
import type { ExitCodeValue } from "../exit-codes.js";
import { collectParam, parseParams } from "../params.js";
import type { Session } from "../session.js";
import { awaitRun, watchRun } from "../watch.js";

const enc = encodeURIComponent;

interface StartOptions {
  param: string[];
  real?: boolean;
  pin?: string;
  reason?: string;
  watch?: boolean;
  followApproval?: boolean;
  idempotencyKey?: string;
}

async function startRun(s: Session, runbook: string, o: StartOptions, dryRun: boolean): Promise<Run> {
  const detail = await s.api.json<Schemas["RunbookDetail"]>("GET", `/v1/runbooks/${enc(runbook)}`);
  const body: Schemas["StartRunRequest"] = { params: parseParams(o.param, detail.paramsSchema), dryRun };
  if (o.pin) body.fromPlan = o.pin;
  if (o.reason) body.reason = o.reason;
  const headers: Record<string, string> = o.idempotencyKey ? { "idempotency-key": o.idempotencyKey } : {};
  return s.api.json<Run>("POST", `/v1/runbooks/${enc(runbook)}/runs`, body, headers);
}

/** Waits for a dry-run and shows its plan (the server's terminal rendering) and the next command. */
async function showPlan(s: Session, run: Run, o: StartOptions, runbook: string): Promise<ExitCodeValue> {
  const done = await awaitRun(s.api, s.out, run.id, `dry-run ${run.id} of ${runbook}:`);
  if (s.out.json) {
    s.out.document(done);
  } else {
    s.out.block(await s.api.text(`/v1/runs/${enc(run.id)}`));
    if (done.state === "succeeded") {
      const params = o.param.map((p) => ` -p ${p}`).join("");
      s.out.note(
        `to apply exactly this plan: switchover run ${runbook}${params} --real --pin ${run.id} --watch`,
      );
    }
  }
  return exitCodeOfRunState(done.state);
}

async function afterStart(
  s: Session,
  run: Run,
  o: { watch?: boolean; followApproval?: boolean },
  what: string,
): Promise<ExitCodeValue> {
  if (o.watch) {
    if (!s.out.json) s.out.line(`${what} ${run.id} ${run.dryRun ? "dry-run" : "REAL RUN"} ${run.state}`);
    return watchRun(s.api, s.out, run.id, { throughApproval: o.followApproval });
  }
  if (s.out.json) s.out.document(run);
  else {
    s.out.line(`${what} ${run.id} ${run.dryRun ? "dry-run" : "REAL RUN"} ${run.state}`);
    s.out.note(`follow it: switchover watch ${run.id}`);
  }
  return ExitCode.Ok;
}

interface GateOptions {
  comment?: string;
  planHash?: string;
  breakGlass?: boolean;
  reason?: string;
}

function gateAction(s: Session, verb: "approve" | "reject") {
  return async (id: string, o: GateOptions) => {
    if (o.breakGlass && !o.reason?.trim()) throw usageError("--break-glass needs --reason <why>");
    const body: Schemas["ApproveRequest"] = {
      ...(o.comment ? { comment: o.comment } : {}),
      ...(verb === "approve" && o.planHash ? { planHash: o.planHash } : {}),
      ...(verb === "approve" && o.breakGlass ? { breakGlass: true, reason: o.reason! } : {}),
    };
    const run = await s.api.json<Run>("POST", `/v1/runs/${enc(id)}/${verb}`, body);
    if (s.out.json) s.out.document(run);
    else {
      const done = verb === "approve" ? (o.breakGlass ? "BROKE GLASS on" : "approved") : "rejected";
      const more =
        run.approval && run.approval.remaining > 0
          ? ` (${run.approval.remaining} more approval(s) needed)`
          : "";
      s.out.line(`${done} run ${run.id} (${s.target().context}): now ${run.state}${more}`);
    }
    s.exitCode = verb === "approve" ? ExitCode.Ok : exitCodeOfRunState(run.state);
  };
}

export function runCommands(program: Command, s: Session): void {
  program
    .command("plan")
    .argument("<runbook>")
    .description("dry-run a runbook and show its plan: every change as `resource field: from → to`")
    .option("-p, --param <key=value>", "a runbook parameter (repeatable)", collectParam, [])
    .option("--reason <text>", "why (recorded in the audit log)")
    .action(async (runbook: string, o: StartOptions) => {
      const run = await startRun(s, runbook, o, true);
      s.exitCode = await showPlan(s, run, o, runbook);
    });

  program
    .command("run")
    .argument("<runbook>")
    .description(
      "start a run: a dry-run unless --real; pin a real run to the dry-run you reviewed with --pin",
    )
    .option("-p, --param <key=value>", "a runbook parameter (repeatable)", collectParam, [])
    .option("--real", "change the world (without it: a dry-run, as plan)")
    .option("--pin <dry-run id>", "refuse to apply anything that differs from this reviewed dry-run's plan")
    .option("--reason <text>", "why (recorded in the audit log)")
    .option("-w, --watch", "follow the run until it finishes or waits for approval")
    .option("--follow-approval", "with --watch: keep following while it waits for approval")
    .option("--idempotency-key <key>", "repeat-safe: the same key and body return the same run")
    .action(async (runbook: string, o: StartOptions) => {
      if (o.pin && !o.real) throw usageError("--pin pins a real run: add --real");
      if (!o.real) {
        s.out.note("dry-run (nothing changes); add --real to run it for real");
        const run = await startRun(s, runbook, o, true);
        s.exitCode = o.watch ? await afterStart(s, run, o, "run") : await showPlan(s, run, o, runbook);
        return;
      }
      const run = await startRun(s, runbook, o, false);
      s.exitCode = await afterStart(s, run, o, "run");
    });

  program
    .command("watch")
    .argument("<run>", "run id")
    .description(
      "follow a run live until it finishes (exit 0 succeeded, 1 failed) or waits for approval (exit 3)",
    )
    .option("--follow-approval", "keep following while it waits for approval")
    .action(async (id: string, o: { followApproval?: boolean }) => {
      s.exitCode = await watchRun(s.api, s.out, id, { throughApproval: o.followApproval });
    });

  program
    .command("approve")
    .argument("<run>", "run id")
    .description(
      "grant the run's pending approval (an approver other than who started it); --break-glass: an admin alone, with --reason",
    )
    .option("--comment <text>", "recorded with the approval")
    .option(
      "--plan-hash <hash>",
      "the plan you reviewed (approval.planHash in `switchover show`); refused if the run now waits on another",
    )
    .option(
      "--break-glass",
      "admin only: proceed without a second person (audited, notified, shown on the run)",
    )
    .option("--reason <text>", "why you break glass (required with --break-glass)")
    .action(gateAction(s, "approve"));

  program
    .command("reject")
    .argument("<run>", "run id")
    .description("refuse the run's pending approval: the run fails, nothing more changes")
    .option("--comment <text>", "recorded with the rejection")
    .action(gateAction(s, "reject"));

  program
    .command("cancel")
    .argument("<run>", "run id")
    .description("stop a run after its current step")
    .option("--reason <text>", "why (recorded)")
    .action(async (id: string, o: { reason?: string }) => {
      const run = await s.api.json<Run>(
        "POST",
        `/v1/runs/${enc(id)}/cancel`,
        o.reason ? { reason: o.reason } : {},
      );
      if (s.out.json) s.out.document(run);
      else s.out.line(`cancel requested for run ${run.id}: now ${run.state}`);
    });

  program
    .command("retry")
    .argument("<run>", "run id")
    .description("resume a failed run from its failed step")
    .requiredOption("--reason <text>", "why (required, recorded)")
    .option("-w, --watch", "follow it")
    .action(async (id: string, o: { reason: string; watch?: boolean }) => {
      const run = await s.api.json<Run>("POST", `/v1/runs/${enc(id)}/retry`, { reason: o.reason });
      s.exitCode = await afterStart(s, run, o, "retrying run");
    });

  program
    .command("skip")
    .argument("<run>", "run id")
    .argument("<step>", "step id")
    .description(
      "mark a step skipped (then retry continues after it); gates never; on a real run that has not failed, only an approver other than the requester",
    )
    .requiredOption("--reason <text>", "why (required, recorded)")
    .action(async (id: string, step: string, o: { reason: string }) => {
      const run = await s.api.json<Run>("POST", `/v1/runs/${enc(id)}/steps/${enc(step)}/skip`, {
        reason: o.reason,
      });
      if (s.out.json) s.out.document(run);
      else s.out.line(`skipped step ${step} of run ${run.id}: run ${run.state}`);
    });

  program
    .command("revert")
    .argument("<run>", "a finished real run")
    .description("build the failback from the run's record: a dry-run unless --real")
    .option("--real", "run the revert for real")
    .option("--reason <text>", "why (recorded)")
    .option("-w, --watch", "follow it")
    .option("--follow-approval", "with --watch: keep following while it waits for approval")
    .option("--idempotency-key <key>", "repeat-safe: the same key returns the same revert run")
    .action(
      async (
        id: string,
        o: {
          real?: boolean;
          reason?: string;
          watch?: boolean;
          followApproval?: boolean;
          idempotencyKey?: string;
        },
      ) => {
        const body: Schemas["RevertRequest"] = { dryRun: !o.real };
        if (o.reason) body.reason = o.reason;
        const headers: Record<string, string> = o.idempotencyKey
          ? { "idempotency-key": o.idempotencyKey }
          : {};
        const run = await s.api.json<Run>("POST", `/v1/runs/${enc(id)}/revert`, body, headers);
        if (!o.real && !o.watch) {
          s.exitCode = await showPlan(s, run, { param: [] }, run.runbook.metadata.name);
          if (!s.out.json && run.state !== "failed")
            s.out.note(`to revert for real: switchover revert ${id} --real --watch`);
          return;
        }
        s.exitCode = await afterStart(s, run, o, `revert of ${id}:`);
      },
    );

  program
    .command("runs")
    .description("runs, newest first")
    .option("--runbook <name>")
    .option("--state <state>", "queued, running, waiting_approval, succeeded, failed, cancelled")
    .option("--real", "real runs only")
    .option("--dry", "dry-runs only")
    .option("--limit <n>", "at most this many", "20")
    .action(async (o: { runbook?: string; state?: string; real?: boolean; dry?: boolean; limit: string }) => {
      if (o.real && o.dry) throw usageError("--real or --dry, not both");
      const q = new URLSearchParams();
      if (o.runbook) q.set("runbook", o.runbook);
      if (o.state) q.set("state", o.state);
      if (o.real) q.set("dryRun", "false");
      if (o.dry) q.set("dryRun", "true");
      q.set("limit", o.limit);
      if (s.out.json) s.out.document(await s.api.json<Schemas["RunList"]>("GET", `/v1/runs?${q.toString()}`));
      else s.out.block(await s.api.text(`/v1/runs?${q.toString()}`));
    });

  program
    .command("show")
    .argument("<run>", "run id")
    .description("one run: steps, states, durations, each change as `resource field: from → to`")
    .action(async (id: string) => {
      if (s.out.json) s.out.document(await s.api.json<Run>("GET", `/v1/runs/${enc(id)}`));
      else s.out.block(await s.api.text(`/v1/runs/${enc(id)}`));
    });

  program
    .command("report")
    .argument("<run>", "run id")
    .description("the drill report: RTO, RPO, reprocess window, per-step durations and changes")
    .option("--html", "the standalone HTML page (inline SVG timeline) instead of text")
    .option("--out <file>", "write to a file instead of stdout")
    .action(async (id: string, o: { html?: boolean; out?: string }) => {
      const path = `/v1/runs/${enc(id)}/report`;
      let body: string;
      if (o.html) body = await s.api.text(path, "text/html");
      else if (s.out.json)
        body = JSON.stringify(await s.api.json<Schemas["RunReport"]>("GET", path), null, 2) + "\n";
      else body = await s.api.text(path);
      if (o.out) {
        writeFileSync(o.out, body);
        s.out.note(`wrote ${o.out}`);
      } else if (o.html || s.out.json) s.streams.stdout.write(body);
      else s.out.block(body);
    });
}
