// Keeps runbooks evaluated: on request (POST /v1/runbooks/{name}/evaluate) and on an interval for
// every valid runbook with its default params. Keeps the latest result per runbook, exports them as
// gauges, and POSTs the configured webhook when a runbook turns blocked (only to allowed URLs).
import { Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { RunbookCatalog } from "../runs/runbook-catalog.js";
import type { ParamValue, Runbook } from "../engine/runbook/model.js";
import type { EvaluationOutcome } from "../engine/step-contract.js";
import type { HttpClient } from "../steps/builtin/http-client.js";
import { messageOf } from "./checks.js";
import { evaluateRunbook } from "./evaluate-runbook.js";
import type { EvaluatorDeps, RunbookEvaluation } from "./evaluate-runbook.js";

const OUTCOMES: readonly EvaluationOutcome[] = ["ready", "degraded", "blocked"];

export interface EvaluationSettings {
  /** 0 disables the periodic evaluation. */
  intervalSeconds: number;
  /** Delay of the first periodic pass after start. */
  initialDelaySeconds: number;
  webhook?: { url: string; headers: Record<string, string> } | undefined;
}

export interface EvaluationServiceDeps extends EvaluatorDeps {
  runbooks: Pick<RunbookCatalog, "list" | "get">;
  settings: EvaluationSettings;
  http: HttpClient;
  /** URL prefixes outbound calls may go to (config http.allow). */
  allow: readonly string[];
  registry?: Registry;
}

/** True when url starts with one of the allowed prefixes (the rule http.request and notify follow). */
export function urlAllowed(url: string, allow: readonly string[]): boolean {
  return allow.some((prefix) => url.startsWith(prefix));
}

export class EvaluationService {
  readonly #latest = new Map<string, RunbookEvaluation>();
  readonly #runbookGauge: Gauge | undefined;
  readonly #stepGauge: Gauge | undefined;
  readonly #timestampGauge: Gauge | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #stop = new AbortController();

  constructor(private readonly d: EvaluationServiceDeps) {
    if (d.settings.webhook && !urlAllowed(d.settings.webhook.url, d.allow)) {
      throw new Error(
        `service.evaluation.webhook.url ${d.settings.webhook.url} is not under any http.allow prefix`,
      );
    }
    if (d.registry) {
      const registers = [d.registry];
      this.#runbookGauge = new Gauge({
        name: "switchover_runbook_evaluation",
        help: "Latest pre-flight outcome per runbook: 1 for the current outcome, 0 for the others",
        labelNames: ["runbook", "outcome"],
        registers,
      });
      this.#stepGauge = new Gauge({
        name: "switchover_runbook_step_evaluation",
        help: "Latest pre-flight outcome per runbook step: 1 for the current outcome, 0 for the others",
        labelNames: ["runbook", "step", "outcome"],
        registers,
      });
      this.#timestampGauge = new Gauge({
        name: "switchover_runbook_evaluation_timestamp_seconds",
        help: "When each runbook was last evaluated (Unix time)",
        labelNames: ["runbook"],
        registers,
      });
    }
  }

  /** Evaluates one runbook now, keeps the result and notifies on a turn to blocked. */
  async evaluate(
    runbook: Runbook,
    params: Record<string, ParamValue> | undefined,
    signal?: AbortSignal,
  ): Promise<RunbookEvaluation> {
    const s = signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
    const result = await evaluateRunbook(this.d, runbook, params, s);
    await this.#record(result);
    return result;
  }

  /** Latest kept results, by runbook name. */
  latest(): RunbookEvaluation[] {
    return [...this.#latest.values()].sort((a, b) => a.runbook.localeCompare(b.runbook));
  }

  /** One pass over every valid runbook with its default params. */
  async evaluateAll(): Promise<RunbookEvaluation[]> {
    const out: RunbookEvaluation[] = [];
    for (const entry of await this.d.runbooks.list()) {
      if (this.#stopped) break;
      if (!entry.valid || !entry.runbook) continue;
      try {
        out.push(await this.evaluate(entry.runbook, undefined));
      } catch (err) {
        // Required params without defaults: the runbook cannot be evaluated unattended.
        this.d.logger.info({ runbook: entry.name, err: messageOf(err) }, "runbook not evaluated");
      }
    }
    return out;
  }

  start(): this {
    const { intervalSeconds, initialDelaySeconds } = this.d.settings;
    if (intervalSeconds <= 0) return this;
    const tick = (delayMs: number) => {
      this.#timer = setTimeout(() => {
        this.#running = this.evaluateAll()
          .then(() => undefined)
          .catch((err: unknown) => this.d.logger.warn({ err: messageOf(err) }, "evaluation pass failed"))
          .finally(() => {
            this.#running = undefined;
            if (!this.#stopped) tick(intervalSeconds * 1_000);
          });
      }, delayMs);
      this.#timer.unref();
    };
    tick(initialDelaySeconds * 1_000);
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#stop.abort();
    await this.#running?.catch(() => undefined);
  }

  async #record(result: RunbookEvaluation): Promise<void> {
    const previous = this.#latest.get(result.runbook);
    this.#latest.set(result.runbook, result);
    this.#export(result, previous);
    if (result.outcome === "blocked" && previous?.outcome !== "blocked") await this.#notify(result, previous);
  }

  #export(result: RunbookEvaluation, previous: RunbookEvaluation | undefined): void {
    if (!this.#runbookGauge || !this.#stepGauge || !this.#timestampGauge) return;
    for (const o of OUTCOMES)
      this.#runbookGauge.set({ runbook: result.runbook, outcome: o }, o === result.outcome ? 1 : 0);
    for (const s of previous?.steps ?? []) {
      if (!result.steps.some((x) => x.id === s.id)) {
        for (const o of OUTCOMES) this.#stepGauge.remove({ runbook: result.runbook, step: s.id, outcome: o });
      }
    }
    for (const s of result.steps) {
      for (const o of OUTCOMES)
        this.#stepGauge.set({ runbook: result.runbook, step: s.id, outcome: o }, o === s.outcome ? 1 : 0);
    }
    this.#timestampGauge.set({ runbook: result.runbook }, Date.parse(result.evaluatedAt) / 1_000);
  }

  async #notify(result: RunbookEvaluation, previous: RunbookEvaluation | undefined): Promise<void> {
    const hook = this.d.settings.webhook;
    if (!hook) return;
    const body = {
      event: "runbook.blocked",
      runbook: result.runbook,
      previousOutcome: previous?.outcome ?? null,
      outcome: result.outcome,
      reason: result.reason,
      evaluatedAt: result.evaluatedAt,
      blockedSteps: result.steps
        .filter((s) => s.outcome === "blocked")
        .map((s) => ({ id: s.id, uses: s.uses, reason: s.reason })),
    };
    try {
      const res = await this.d.http.request({
        method: "POST",
        url: hook.url,
        headers: { "content-type": "application/json", ...hook.headers },
        body,
        signal: this.#stop.signal,
        timeoutMs: 10_000,
      });
      if (res.status >= 300) {
        this.d.logger.warn({ runbook: result.runbook, status: res.status }, "evaluation webhook refused");
      }
    } catch (err) {
      this.d.logger.warn({ runbook: result.runbook, err: messageOf(err) }, "evaluation webhook failed");
    }
  }
}
