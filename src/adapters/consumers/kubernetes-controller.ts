// Pauses and resumes a fleet by scaling its Deployment or StatefulSet through the scale subresource:
// plain HTTP(S) with the service-account bearer token and optional CA, merge-patch of spec.replicas.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { IncomingMessage, RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ConsumerFleetConfig } from "../../config/schema.js";
import { resolveSecret, SecretResolutionError } from "../../config/secret.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { FleetController } from "./fleet-controller.js";
import { retryPolicy, withRetries } from "./retry-policy.js";
import type { RetryPolicy } from "./retry-policy.js";

type KubernetesFleet = Extract<ConsumerFleetConfig, { kind: "kubernetes" }>;

const MAX_BODY_BYTES = 1_048_576;

/** The parts of an autoscaling/v1 Scale the controller reads. */
export interface Scale {
  spec: { replicas: number };
  status?: { replicas?: number };
}

export interface KubernetesControllerOptions {
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
}

export class KubernetesController implements FleetController {
  readonly kind = "kubernetes" as const;
  readonly #policy: RetryPolicy;
  readonly #url: URL;
  readonly #workload: string;

  constructor(
    readonly fleet: string,
    private readonly config: KubernetesFleet,
    private readonly opts: KubernetesControllerOptions = {},
  ) {
    this.#policy = retryPolicy(opts.retry);
    const plural = config.workload.kind === "Deployment" ? "deployments" : "statefulsets";
    const base = new URL(config.apiServer);
    const prefix = base.pathname.replace(/\/+$/, "");
    base.pathname = `${prefix}/apis/apps/v1/namespaces/${encodeURIComponent(config.namespace)}/${plural}/${encodeURIComponent(config.workload.name)}/scale`;
    this.#url = base;
    this.#workload = `${config.workload.kind} ${config.namespace}/${config.workload.name}`;
  }

  describe(): string {
    return this.#workload;
  }

  async replicas(signal: AbortSignal): Promise<number> {
    return (await this.scale(signal)).spec.replicas;
  }

  async scale(signal: AbortSignal): Promise<Scale> {
    return this.#send("GET", undefined, signal);
  }

  pause(_target: unknown, signal: AbortSignal): Promise<number> {
    return this.scaleTo(0, signal);
  }

  resume(_target: unknown, replicas: number | undefined, signal: AbortSignal): Promise<number> {
    if (replicas === undefined) {
      throw new SwitchoverError(
        ErrorCode.Validation,
        `fleet ${this.fleet}: resuming ${this.#workload} needs a replica count (e.g. the pause step's outputs.previousReplicas)`,
      );
    }
    return this.scaleTo(replicas, signal);
  }

  /** Sets spec.replicas unless it already has that value; returns the value found. */
  async scaleTo(replicas: number, signal: AbortSignal): Promise<number> {
    const current = await this.replicas(signal);
    if (current !== replicas) await this.#send("PATCH", { spec: { replicas } }, signal);
    return current;
  }

  async #send(method: "GET" | "PATCH", body: unknown, signal: AbortSignal): Promise<Scale> {
    const token = this.#token();
    const ca = this.#ca();
    const what = `${method} ${this.#url.href}`;
    return withRetries(this.#policy, signal, async (n) => {
      const { status, text } = await this.#exchange(method, body, token, ca, signal, what, n);
      if (status >= 200 && status < 300) return parseScale(text, what);
      throw this.#statusError(status, text, what, n);
    });
  }

  #exchange(
    method: string,
    body: unknown,
    token: string,
    ca: Buffer | undefined,
    signal: AbortSignal,
    what: string,
    n: number,
  ): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      "user-agent": "switchover",
    };
    if (payload !== undefined) {
      headers["content-type"] = "application/merge-patch+json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    const options: RequestOptions & { ca?: Buffer } = {
      method,
      headers,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.timeoutMs)]),
      ...(ca ? { ca } : {}),
    };
    const send = this.#url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(this.#url, options, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY_BYTES) chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) => reject(this.#networkError(err, signal, what, n)));
      });
      req.on("error", (err) => reject(this.#networkError(err, signal, what, n)));
      req.end(payload);
    });
  }

  #networkError(err: Error, signal: AbortSignal, what: string, n: number): SwitchoverError {
    if (signal.aborted) return new SwitchoverError(ErrorCode.Cancelled, `${what} was cancelled`);
    const code = (err as { code?: string }).code;
    const why =
      err.name === "AbortError" || err.name === "TimeoutError"
        ? `did not answer within ${this.config.timeoutMs} ms`
        : `failed: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ""}`;
    return new SwitchoverError(
      ErrorCode.UpstreamUnavailable,
      `fleet ${this.fleet}: Kubernetes API ${what} ${why} (attempt ${n} of ${this.#policy.retries + 1})`,
      { details: { fleet: this.fleet, attempts: n } },
    );
  }

  #statusError(status: number, text: string, what: string, n: number): SwitchoverError {
    const message = statusMessage(text);
    const tail = message ? `: ${message}` : "";
    const details = { fleet: this.fleet, status, attempts: n };
    switch (true) {
      case status === 401:
        return new SwitchoverError(
          ErrorCode.Forbidden,
          `fleet ${this.fleet}: the Kubernetes API rejected the service-account token (401) for ${what}${tail}`,
          { details },
        );
      case status === 403:
        return new SwitchoverError(
          ErrorCode.Forbidden,
          `fleet ${this.fleet}: the service account may not ${what.startsWith("GET") ? "read" : "patch"} the scale of ${this.#workload} (403)${tail}`,
          { details },
        );
      case status === 404:
        return new SwitchoverError(
          ErrorCode.NotFound,
          `fleet ${this.fleet}: ${this.#workload} not found (404)${tail}`,
          {
            details,
          },
        );
      case status === 409:
        return new SwitchoverError(
          ErrorCode.Conflict,
          `fleet ${this.fleet}: ${what} conflicted (409)${tail}`,
          {
            retryable: true,
            details,
          },
        );
      case status >= 500 || status === 429:
        return new SwitchoverError(
          ErrorCode.UpstreamUnavailable,
          `fleet ${this.fleet}: Kubernetes API ${what} answered ${status} on attempt ${n} of ${this.#policy.retries + 1}${tail}`,
          { details },
        );
      default:
        return new SwitchoverError(
          ErrorCode.Upstream,
          `fleet ${this.fleet}: Kubernetes API ${what} answered ${status}${tail}`,
          {
            details,
          },
        );
    }
  }

  #token(): string {
    try {
      return resolveSecret(this.config.token, this.opts.env).reveal().trim();
    } catch (err) {
      if (!(err instanceof SecretResolutionError)) throw err;
      throw new SwitchoverError(
        ErrorCode.Configuration,
        `fleet ${this.fleet}: service-account token: ${err.message}`,
        { details: err.details, cause: err },
      );
    }
  }

  #ca(): Buffer | undefined {
    if (!this.config.caFile) return undefined;
    try {
      return readFileSync(this.config.caFile);
    } catch (err) {
      const code = err instanceof Error && "code" in err ? String(err.code) : "unreadable";
      throw new SwitchoverError(
        ErrorCode.Validation,
        `fleet ${this.fleet}: CA file ${this.config.caFile} cannot be read (${code})`,
      );
    }
  }
}

function parseScale(text: string, what: string): Scale {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const replicas = (value as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  // spec.replicas is omitted when zero (omitempty in the Go types).
  if (
    replicas !== undefined &&
    (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0)
  ) {
    throw new SwitchoverError(ErrorCode.Upstream, `${what} returned a Scale without a valid spec.replicas`);
  }
  if (value === undefined || typeof value !== "object") {
    throw new SwitchoverError(ErrorCode.Upstream, `${what} returned something other than a Scale object`);
  }
  const status = (value as { status?: { replicas?: unknown } }).status;
  return {
    spec: { replicas: replicas ?? 0 },
    ...(typeof status?.replicas === "number" ? { status: { replicas: status.replicas } } : {}),
  };
}

/** The `message` of a Kubernetes Status object, if the body is one. */
function statusMessage(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as { message?: unknown };
    return typeof v.message === "string" ? v.message.slice(0, 300) : undefined;
  } catch {
    return text ? text.slice(0, 200) : undefined;
  }
}
