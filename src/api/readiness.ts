// Readiness: each of the service's own dependencies (Redis, the queue, the audit file) answers
// within a short timeout; target systems (Kafka, DNS, Connect) are not dependencies (see
// target-health.ts). A list of named checks, so new conditions are one more entry. Results are
// cached briefly so probes from several load balancers do not multiply the checks.
import { stripAddresses } from "./strip-addresses.js";

export interface DependencyCheck {
  name: string;
  check(signal: AbortSignal): Promise<void>;
}

export interface ReadinessResult {
  status: "ready" | "not_ready";
  checks: Record<string, { ok: boolean; latencyMs: number; error?: string }>;
}

export class Readiness {
  private cached: { at: number; result: Promise<ReadinessResult> } | undefined;

  constructor(
    private readonly checks: readonly DependencyCheck[],
    private readonly timeoutMs = 2_000,
    private readonly cacheMs = 1_000,
  ) {}

  run(): Promise<ReadinessResult> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.result;
    const result = this.runNow();
    this.cached = { at: now, result };
    return result;
  }

  private async runNow(): Promise<ReadinessResult> {
    type Check = ReadinessResult["checks"][string];
    const entries = await Promise.all(
      this.checks.map(async (c): Promise<[string, Check]> => {
        const t0 = performance.now();
        const signal = AbortSignal.timeout(this.timeoutMs);
        try {
          await Promise.race([
            c.check(signal),
            new Promise<never>((_, reject) =>
              signal.addEventListener(
                "abort",
                () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
                {
                  once: true,
                },
              ),
            ),
          ]);
          return [c.name, { ok: true, latencyMs: Math.round(performance.now() - t0) }];
        } catch (err) {
          // Served unauthenticated: say what failed, never where it lives.
          const error = stripAddresses(err instanceof Error ? err.message : String(err)).slice(0, 300);
          return [c.name, { ok: false, latencyMs: Math.round(performance.now() - t0), error }];
        }
      }),
    );
    const checks: ReadinessResult["checks"] = Object.fromEntries(entries);
    return { status: entries.every(([, r]) => r.ok) ? "ready" : "not_ready", checks };
  }
}
