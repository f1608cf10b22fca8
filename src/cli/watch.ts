// Following a run: its events as lines (or NDJSON with --output json) from GET /v1/runs/{id}/events,
// a live status line on a terminal, reconnection from the last event id when the stream drops, and
// the exit code of where the run stopped: finished, or waiting for a second person's approval.
import { eventLines } from "../api/render/event-text.js";
import { formatDuration } from "../api/render/run-text.js";
import type { ApiClient, Run, RunEvent } from "./api-client.js";
import { CliError } from "./cli-error.js";
import { ExitCode, exitCodeOfRunState } from "./exit-codes.js";
import type { ExitCodeValue } from "./exit-codes.js";
import type { Output } from "./output.js";

export interface WatchOptions {
  /** Keep following while the run waits for approval (default: stop there with exit 3). */
  throughApproval?: boolean;
}

const RECONNECTS = 5;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Live state for the status line, from the events seen so far. */
class Progress {
  runState = "queued";
  step: string | undefined;
  stepState: string | undefined;
  stepSince = Date.now();
  readonly startedAt = Date.now();

  see(e: RunEvent): void {
    if (e.type === "run.transition" && e.to) this.runState = e.to;
    if (e.type === "step.transition" && e.stepId && e.to) {
      this.step = e.stepId;
      this.stepState = e.to;
      this.stepSince = e.at;
    }
  }

  text(tick: number): string {
    const spin = SPINNER[tick % SPINNER.length]!;
    const step = this.step
      ? `  step ${this.step} ${this.stepState ?? ""} ${formatDuration(Date.now() - this.stepSince)}`
      : "";
    return `${spin} ${this.runState}${step}  (watching ${formatDuration(Date.now() - this.startedAt)}; Ctrl-C stops watching, not the run)`;
  }
}

export async function watchRun(
  api: ApiClient,
  out: Output,
  runId: string,
  opts: WatchOptions = {},
): Promise<ExitCodeValue> {
  const progress = new Progress();
  let tick = 0;
  const timer = out.live ? setInterval(() => out.setStatus(progress.text(tick++)), 100) : undefined;
  timer?.unref();
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  let lastId: string | undefined;
  let failures = 0;
  try {
    while (!stop.signal.aborted) {
      let progressed = false;
      try {
        for await (const item of api.events(runId, lastId, stop.signal)) {
          progressed = true;
          if (item.kind === "end") {
            out.endStatus();
            if (out.json) out.document({ type: "end", runId: item.runId, state: item.state }, true);
            else out.line(`run ${item.runId} ${item.state}`);
            return exitCodeOfRunState(item.state);
          }
          lastId = item.id;
          progress.see(item.event);
          if (out.json) out.document(item.event, true);
          else for (const l of eventLines(item.event)) out.line(l);
          if (
            item.event.type === "run.transition" &&
            item.event.to === "waiting_approval" &&
            !opts.throughApproval
          ) {
            // A replay also shows approvals long since given: stop only if it still waits now.
            const now = await api.json<Run>("GET", `/v1/runs/${encodeURIComponent(runId)}`);
            if (now.state === "waiting_approval") {
              out.endStatus();
              if (!out.json) {
                out.note(
                  `run ${runId} waits for approval: an approver other than ${now.requestedBy ?? "the requester"} runs ` +
                    `\`switchover approve ${runId}\`; then \`switchover watch ${runId}\``,
                );
              }
              return ExitCode.WaitingApproval;
            }
          }
        }
      } catch (err) {
        // 4xx (unknown run, no permission) will not get better by retrying.
        if (err instanceof CliError && err.exitCode !== ExitCode.Unavailable) throw err;
        if (stop.signal.aborted) break;
      }
      if (stop.signal.aborted) break;
      failures = progressed ? 0 : failures + 1;
      if (failures >= RECONNECTS) {
        throw new CliError(
          `lost the event stream of run ${runId} (${RECONNECTS} reconnects failed)`,
          ExitCode.Unavailable,
        );
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // Ctrl-C: the run goes on; say where it is.
    out.endStatus();
    const run = await api.json<Run>("GET", `/v1/runs/${encodeURIComponent(runId)}`);
    out.note(`stopped watching; run ${runId} is ${run.state} (switchover watch ${runId} to follow again)`);
    return ExitCode.Interrupted;
  } finally {
    if (timer) clearInterval(timer);
    out.endStatus();
    process.removeListener("SIGINT", onSigint);
  }
}

/** Waits (long-polls GET /v1/runs/{id}?wait=) until the run finished or waits for approval. */
export async function awaitRun(api: ApiClient, out: Output, runId: string, what: string): Promise<Run> {
  let tick = 0;
  const t0 = Date.now();
  const timer = out.live
    ? setInterval(
        () => out.setStatus(`${SPINNER[tick++ % SPINNER.length]} ${what} ${formatDuration(Date.now() - t0)}`),
        100,
      )
    : undefined;
  timer?.unref();
  try {
    for (;;) {
      const run = await api.waitRun(runId, 20);
      if (["succeeded", "failed", "cancelled", "waiting_approval"].includes(run.state)) return run;
    }
  } finally {
    if (timer) clearInterval(timer);
    out.endStatus();
  }
}
