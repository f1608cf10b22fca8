// The execution lease of a run: at most one worker drives a run at a time, even if BullMQ hands the
// run to two workers (a stalled job re-delivered while its first worker still lives, two jobs for
// one run). The holder renews it while driving; a killed worker's lease simply expires. A worker
// that stalled past its lease (GC pause, SIGSTOP, an overloaded host) may find it taken: the lease
// is also the run's fence (see engine/ports/run-fence.ts): the worker stops acting as soon as it
// knows or cannot rule out that the lease is gone, and the store refuses its saves.
import type { Redis } from "ioredis";
import { RunFenceLost } from "../engine/ports/run-fence.js";
import type { StoreClaim } from "../engine/ports/run-fence.js";

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
// KEYS[1] lease, KEYS[2..] further claims; ARGV: token, ms, then each further claim's value.
// Renews the lease only if every claim still holds; returns 0 when one does not (1-based index
// into KEYS as the second value).
const CONFIRM = `
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[i + 1] then return {0, i} end
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, 1} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, 0}`;

type LeaseRedis = Redis & {
  soLeaseRenew(key: string, token: string, ms: number): Promise<number>;
  soLeaseRelease(key: string, token: string): Promise<number>;
  soLeaseConfirm(...args: (string | number)[]): Promise<[number, number]>;
};

export interface Lease {
  /** False once the lease was lost (expired and taken by another worker). */
  readonly held: boolean;
  /** Aborted (reason: RunFenceLost) when a renewal finds the lease gone. */
  readonly signal: AbortSignal;
  /** The lease key and this holder's token: a save carrying it is refused once the lease moved. */
  readonly claim: StoreClaim;
  /**
   * Throws RunFenceLost when the lease is known lost, or when no renewal succeeded for so long that
   * it may have expired (the process stalled): ownership cannot be assumed then.
   */
  check(): void;
  /** One atomic round trip: renews the lease if it and every extra claim still hold, else throws RunFenceLost. */
  confirm(extra?: readonly StoreClaim[]): Promise<void>;
  release(): Promise<void>;
  /** Stops renewing without releasing: the lease expires on its own (used when parking). */
  abandon(): void;
}

export class RunLeases {
  private readonly redis: LeaseRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {
    redis.defineCommand("soLeaseRenew", { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand("soLeaseRelease", { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand("soLeaseConfirm", { lua: CONFIRM });
    this.redis = redis as LeaseRedis;
  }

  key(runId: string): string {
    return `${this.prefix}:lease:run:${runId}`;
  }

  /** The lease, renewed every third of its length until released; undefined if another holds it. */
  async tryAcquire(runId: string, token: string): Promise<Lease | undefined> {
    const key = this.key(runId);
    const sent = this.now();
    const ok = await this.redis.set(key, token, "PX", this.leaseMs, "NX");
    if (ok !== "OK") return undefined;
    let held = true;
    // The lease surely lives until leaseMs after the last successful renewal was *sent*; a fifth
    // of it is kept as margin for Redis and this process disagreeing slightly on time.
    const margin = Math.floor(this.leaseMs / 5);
    let renewedAt = sent;
    const lost = new AbortController();
    const lose = (why: string): RunFenceLost => {
      const err = new RunFenceLost(runId, why);
      held = false;
      clearInterval(timer);
      if (!lost.signal.aborted) lost.abort(err);
      return err;
    };
    const renewed = (at: number): void => {
      renewedAt = Math.max(renewedAt, at);
    };
    const timer = setInterval(
      () => {
        const at = this.now();
        this.redis.soLeaseRenew(key, token, this.leaseMs).then(
          (n) => {
            if (n === 0) lose(`its lease ${key} expired and was taken or released`);
            else renewed(at);
          },
          () => undefined,
        );
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    const claim: StoreClaim = { key, value: token };
    return {
      get held() {
        return held;
      },
      signal: lost.signal,
      claim,
      check: () => {
        if (!held) throw lost.signal.reason as RunFenceLost;
        const since = this.now() - renewedAt;
        if (since >= this.leaseMs - margin) {
          // Not proven lost, but not provably held either: stop acting; the store decides later.
          throw new RunFenceLost(runId, `its lease ${key} was last renewed ${since} ms ago`);
        }
      },
      confirm: async (extra = []) => {
        if (!held) throw lost.signal.reason as RunFenceLost;
        const at = this.now();
        let ok: number;
        let which: number;
        try {
          [ok, which] = await this.redis.soLeaseConfirm(
            1 + extra.length,
            key,
            ...extra.map((c) => c.key),
            token,
            this.leaseMs,
            ...extra.map((c) => c.value),
          );
        } catch (err) {
          // Unproven is not lost: the worker stops for now and drives the run again later.
          const why = err instanceof Error ? err.message : String(err);
          throw new RunFenceLost(runId, `its lease ${key} could not be confirmed: ${why}`);
        }
        if (ok === 1) return renewed(at);
        throw lose(
          which === 1
            ? `its lease ${key} expired and was taken or released`
            : `${extra[which - 2]?.key ?? "a claim"} was granted to another holder`,
        );
      },
      abandon: () => clearInterval(timer),
      release: async () => {
        clearInterval(timer);
        // Unreachable Redis: the lease expires on its own.
        if (held) await this.redis.soLeaseRelease(key, token).catch(() => undefined);
        held = false;
      },
    };
  }

  async holder(runId: string): Promise<string | null> {
    return this.redis.get(this.key(runId));
  }
}
