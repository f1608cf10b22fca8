// The CLI's only way to the service: the HTTP API, with the token of the chosen context. Answers
// are typed by the OpenAPI document (src/contract/openapi.ts); a problem+json answer becomes a
// CliError whose exit code says what kind of refusal it was.
import { createParser } from "eventsource-parser";
import type { components } from "../contract/openapi.js";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import type { ExitCodeValue } from "./exit-codes.js";

export type Schemas = components["schemas"];
export type Run = Schemas["Run"];
export type RunEvent = Schemas["RunEvent"];
export type Problem = Schemas["Problem"];

/** One Server-Sent Event of GET /v1/runs/{id}/events: a RunEvent, or the closing `end`. */
export type StreamEvent =
  { kind: "event"; id: string; event: RunEvent } | { kind: "end"; runId: string; state: string };

const REQUEST_TIMEOUT_MS = 30_000;

function exitCodeOfStatus(status: number): ExitCodeValue {
  if (status === 400 || status === 413 || status === 415 || status === 422) return ExitCode.Usage;
  if (status >= 500) return ExitCode.Unavailable;
  return ExitCode.Refused;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async send(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      accept?: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: opts.accept ?? "application/json",
      ...opts.headers,
    };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const signals = [AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS)];
    if (opts.signal) signals.push(opts.signal);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? null : JSON.stringify(opts.body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new CliError(`cannot reach ${this.baseUrl}: ${why}`, ExitCode.Unavailable);
    }
    if (!res.ok) throw await this.problem(method, path, res);
    return res;
  }

  private async problem(method: string, path: string, res: Response): Promise<CliError> {
    const text = await res.text().catch(() => "");
    let problem: Record<string, unknown> | undefined;
    try {
      problem = JSON.parse(text) as Record<string, unknown>;
    } catch {
      problem = undefined;
    }
    const detail =
      typeof problem?.detail === "string" ? problem.detail : text.slice(0, 300) || res.statusText;
    const errors = Array.isArray(problem?.errors)
      ? (problem.errors as { path?: string; message?: string }[])
          .map((e) => `\n  ${e.path ?? "?"}: ${e.message ?? "?"}`)
          .join("")
      : "";
    return new CliError(
      `${method} ${path}: ${res.status} ${detail}${errors}`,
      exitCodeOfStatus(res.status),
      problem,
    );
  }

  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    timeoutMs?: number,
  ): Promise<T> {
    const res = await this.send(method, path, { body, headers, timeoutMs });
    return (await res.json()) as T;
  }

  async text(path: string, accept = "text/plain"): Promise<string> {
    return (await this.send("GET", path, { accept })).text();
  }

  /** GET /v1/runs/{id}?wait=: returns when the run finished or waits for approval, or after `seconds`. */
  async waitRun(id: string, seconds: number): Promise<Run> {
    return this.json<Run>(
      "GET",
      `/v1/runs/${encodeURIComponent(id)}?wait=${seconds}`,
      undefined,
      undefined,
      (seconds + 30) * 1000,
    );
  }

  /**
   * The run's events from after `lastEventId` until the server ends the stream (the run finished) or
   * the connection drops (the generator then just returns; the caller resumes with the last id).
   */
  async *events(
    id: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<StreamEvent> {
    const headers: Record<string, string> = {};
    if (lastEventId) headers["last-event-id"] = lastEventId;
    const res = await this.send("GET", `/v1/runs/${encodeURIComponent(id)}/events`, {
      accept: "text/event-stream",
      headers,
      // The stream lives as long as the run; only the caller's signal ends it.
      timeoutMs: 2 ** 31 - 1,
      signal,
    });
    if (!res.body) return;
    const queue: StreamEvent[] = [];
    const parser = createParser({
      onEvent(m) {
        if (m.event === "end") {
          const d = JSON.parse(m.data) as { runId: string; state: string };
          queue.push({ kind: "end", runId: d.runId, state: d.state });
        } else if (m.id) {
          queue.push({ kind: "event", id: m.id, event: JSON.parse(m.data) as RunEvent });
        }
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        while (queue.length > 0) yield queue.shift()!;
      }
    } catch (err) {
      if (signal.aborted) return;
      // A dropped connection: the caller reconnects from the last id it saw.
      void err;
    }
    while (queue.length > 0) yield queue.shift()!;
  }
}
