// Pauses and resumes a fleet through the application's own control endpoints: one HTTP call with
// configured headers (secrets resolved at the call, never logged), expected status, timeout, retries.
import type { ConsumerFleetConfig } from "../../config/schema.js";
import { resolveSecret, SecretResolutionError } from "../../config/secret.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { FleetController, FleetTarget } from "./fleet-controller.js";
import { retryPolicy, withRetries } from "./retry-policy.js";
import type { RetryPolicy } from "./retry-policy.js";

type WebhookFleet = Extract<ConsumerFleetConfig, { kind: "webhook" }>;

const BODY_EXCERPT = 200;

export interface WebhookControllerOptions {
  env?: NodeJS.ProcessEnv;
  /** Backoff between tries (the number of retries comes from the fleet's config). */
  retry?: Partial<Omit<RetryPolicy, "retries">>;
}

export class WebhookController implements FleetController {
  readonly kind = "webhook" as const;
  readonly #policy: RetryPolicy;

  constructor(
    readonly fleet: string,
    private readonly config: WebhookFleet,
    private readonly opts: WebhookControllerOptions = {},
  ) {
    this.#policy = retryPolicy({ ...opts.retry, retries: config.retries });
  }

  describe(action: "pause" | "resume"): string {
    const call = this.config[action];
    return `${call.method} ${safeUrl(call.url)}`;
  }

  async replicas(): Promise<undefined> {
    return undefined;
  }

  async pause(target: FleetTarget, signal: AbortSignal): Promise<undefined> {
    await this.#call("pause", target, signal);
    return undefined;
  }

  async resume(target: FleetTarget, _replicas: number | undefined, signal: AbortSignal): Promise<undefined> {
    await this.#call("resume", target, signal);
    return undefined;
  }

  async #call(action: "pause" | "resume", target: FleetTarget, signal: AbortSignal): Promise<void> {
    const { method, url } = this.config[action];
    const what = `${method} ${safeUrl(url)}`;
    const headers = this.#headers();
    const body = JSON.stringify({ action, fleet: this.fleet, ...target });
    const total = this.config.retries + 1;
    await withRetries(this.#policy, signal, async (n) => {
      const attempt = `attempt ${n} of ${total}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.timeoutMs)]),
          redirect: "manual",
        });
      } catch (err) {
        if (signal.aborted) throw new SwitchoverError(ErrorCode.Cancelled, `${what} was cancelled`);
        const why =
          err instanceof Error && err.name === "TimeoutError"
            ? `did not answer within ${this.config.timeoutMs} ms`
            : `failed: ${reason(err)}`;
        throw new SwitchoverError(
          ErrorCode.UpstreamUnavailable,
          `fleet ${this.fleet}: ${what} ${why} (${attempt})`,
          {
            details: { fleet: this.fleet, url: safeUrl(url), attempts: n },
          },
        );
      }
      const text = (await res.text().catch(() => "")).slice(0, BODY_EXCERPT);
      if (this.config.expectStatus.includes(res.status)) return;
      const retryable = res.status >= 500 || res.status === 429;
      const code = retryable
        ? ErrorCode.UpstreamUnavailable
        : res.status === 401 || res.status === 403
          ? ErrorCode.Forbidden
          : ErrorCode.Upstream;
      throw new SwitchoverError(
        code,
        `fleet ${this.fleet}: ${what} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""} on ${attempt} (expected ${this.config.expectStatus.join(", ")})${text ? `: ${JSON.stringify(text)}` : ""}`,
        { retryable, details: { fleet: this.fleet, url: safeUrl(url), status: res.status, attempts: n } },
      );
    });
  }

  /** Resolved per call so a rotated secret is picked up; the values never leave this function's result. */
  #headers(): Record<string, string> {
    const out: Record<string, string> = { "content-type": "application/json", "user-agent": "switchover" };
    for (const [name, value] of Object.entries(this.config.headers)) {
      if (typeof value === "string") {
        out[name.toLowerCase()] = value;
        continue;
      }
      try {
        out[name.toLowerCase()] = resolveSecret(value, this.opts.env).reveal();
      } catch (err) {
        if (!(err instanceof SecretResolutionError)) throw err;
        throw new SwitchoverError(
          ErrorCode.Configuration,
          `fleet ${this.fleet}: header ${name}: ${err.message}`,
          { details: err.details, cause: err },
        );
      }
    }
    return out;
  }
}

/** Origin and path only: a query string may carry a token. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return err.message;
  const code = (cause as { code?: unknown }).code;
  return `${err.message} (${typeof code === "string" ? code : cause.message})`;
}
