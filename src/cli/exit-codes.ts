// The CLI's exit codes: a script can tell "the run failed" from "I typed it wrong" from "someone
// must approve" from "the service said no" from "the service is not there".
export const ExitCode = {
  /** The command did what it said; for a run: it succeeded (or was accepted, without --watch). */
  Ok: 0,
  /** The run failed or was cancelled; the audit chain is broken; a runbook evaluates blocked. */
  Failed: 1,
  /** Bad arguments, no usable context or token, or input the API rejected as invalid (400, 422). */
  Usage: 2,
  /** The run waits for an approval (a second person: `switchover approve <run>`). */
  WaitingApproval: 3,
  /** The API refused: not authenticated or allowed, not found, locked, not in a state that allows it. */
  Refused: 4,
  /** The service could not be reached, answered 5xx, or the event stream broke for good. */
  Unavailable: 5,
  /** Ctrl-C while watching: the run goes on without us (128 + SIGINT, as shells report it). */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  done; a run succeeded (or was accepted, without --watch)
  1  the run failed or was cancelled; audit chain broken; runbook blocked
  2  usage error: bad arguments, no context or token, input the API rejected (400/422)
  3  the run waits for approval (another person: switchover approve <run>)
  4  the API refused: 401, 403, 404, 409 (target locked, wrong state), 406
  5  the service is unreachable, answered 5xx, or the event stream broke
  130  Ctrl-C while watching (the run goes on)`;

/** What a run state means for a script. */
export function exitCodeOfRunState(state: string): ExitCodeValue {
  switch (state) {
    case "succeeded":
      return ExitCode.Ok;
    case "failed":
    case "cancelled":
      return ExitCode.Failed;
    case "waiting_approval":
      return ExitCode.WaitingApproval;
    default:
      // queued or running: accepted, not finished (only without --watch).
      return ExitCode.Ok;
  }
}
