// The long poll behind GET /v1/runs/{id}?wait=: a script or curl asks once and gets the answer when
// the run has finished or needs a person, instead of polling. Reading the record every 200 ms costs
// one Redis GET per waiting client and needs no dedicated connection (unlike the event stream).
import { isTerminalRun } from "../engine/states.js";
import type { RunState } from "../engine/states.js";

const POLL_MS = 200;

/** A state a waiting client wants to hear about: finished, or a person must act. */
export const isSettled = (state: RunState): boolean => isTerminalRun(state) || state === "waiting_approval";

/** Resolves when readState() is settled, `seconds` have passed, or the client went away. */
export async function untilSettled(
  readState: () => Promise<RunState>,
  seconds: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + seconds * 1_000;
  while (!signal.aborted && !isSettled(await readState())) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
  }
}
