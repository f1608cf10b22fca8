// A clock tests move by hand: sleeps resolve when advance() passes their deadline.
import { abortError } from "./clock.js";
import type { Clock } from "./clock.js";

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  private sleepers: Sleeper[] = [];
  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const sleeper: Sleeper = { at: this.current + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(abortError(signal));
        },
        { once: true },
      );
    });
  }

  /** Number of sleeps waiting; tests use it to know the engine has parked on the clock. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Milliseconds until the earliest pending sleep is due (0 if none). */
  nextDelay(): number {
    if (this.sleepers.length === 0) return 0;
    return Math.max(0, Math.min(...this.sleepers.map((s) => s.at)) - this.current);
  }

  /** Awaits work, advancing time to each next sleep whenever the work is parked on the clock. */
  async drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    while (!settled) {
      await new Promise<void>((r) => setImmediate(r));
      if (!settled && this.pending > 0) await this.advance(this.nextDelay());
    }
    return watched;
  }

  async advance(ms: number): Promise<void> {
    this.current += ms;
    const due = this.sleepers.filter((s) => s.at <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.at > this.current);
    for (const s of due) s.resolve();
    // Let resolved sleepers' continuations run before the caller looks again.
    await new Promise<void>((r) => setImmediate(r));
  }
}
