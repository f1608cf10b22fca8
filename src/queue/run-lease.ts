// The execution lease of a run: at most one worker drives a run at a time, even if BullMQ hands the
// run to two workers (a stalled job re-delivered while its first worker still lives, two jobs for
// one run). The holder renews it while driving; a killed worker's lease simply expires.
import type { Redis } from "ioredis";

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type LeaseRedis = Redis & {
  soLeaseRenew(key: string, token: string, ms: number): Promise<number>;
  soLeaseRelease(key: string, token: string): Promise<number>;
};

export interface Lease {
  /** False once the lease was lost (expired and taken by another worker). */
  readonly held: boolean;
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
  ) {
    redis.defineCommand("soLeaseRenew", { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand("soLeaseRelease", { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as LeaseRedis;
  }

  private key(runId: string): string {
    return `${this.prefix}:lease:run:${runId}`;
  }

  /** The lease, renewed every third of its length until released; undefined if another holds it. */
  async tryAcquire(runId: string, token: string): Promise<Lease | undefined> {
    const key = this.key(runId);
    const ok = await this.redis.set(key, token, "PX", this.leaseMs, "NX");
    if (ok !== "OK") return undefined;
    let held = true;
    const timer = setInterval(
      () => {
        this.redis.soLeaseRenew(key, token, this.leaseMs).then(
          (n) => {
            if (n === 0) held = false;
          },
          () => undefined,
        );
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    return {
      get held() {
        return held;
      },
      abandon: () => clearInterval(timer),
      release: async () => {
        clearInterval(timer);
        if (held) await this.redis.soLeaseRelease(key, token);
        held = false;
      },
    };
  }

  async holder(runId: string): Promise<string | null> {
    return this.redis.get(this.key(runId));
  }
}
