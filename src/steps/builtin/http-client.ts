// The HTTP port the generic steps (http.request, notify, wait polling) act through, and its fetch
// implementation. Responses are size-capped; network failures and 5xx are retryable, 4xx are not.
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonValue } from "../../engine/json.js";

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: JsonValue;
  signal: AbortSignal;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON when the response says it is JSON, else the text (truncated). */
  body: JsonValue;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

const MAX_BODY_BYTES = 1_048_576;

export function createFetchHttpClient(defaults: { timeoutMs?: number; userAgent?: string } = {}): HttpClient {
  return {
    async request(req) {
      const timeout = AbortSignal.timeout(req.timeoutMs ?? defaults.timeoutMs ?? 10_000);
      const signal = AbortSignal.any([req.signal, timeout]);
      const headers: Record<string, string> = {
        "user-agent": defaults.userAgent ?? "switchover",
        ...req.headers,
      };
      if (req.body !== undefined) headers["content-type"] ??= "application/json";
      let res: Response;
      try {
        res = await fetch(req.url, {
          method: req.method,
          headers,
          body: req.body === undefined ? null : JSON.stringify(req.body),
          signal,
          redirect: "manual",
        });
      } catch (err) {
        if (req.signal.aborted) throw err;
        throw new SwitchoverError(
          ErrorCode.UpstreamUnavailable,
          `${req.method} ${req.url} failed: ${reason(err)}`,
          {
            cause: err,
            details: { url: req.url },
          },
        );
      }
      const text = await readCapped(res);
      let body: JsonValue = text;
      if ((res.headers.get("content-type") ?? "").includes("json") && text !== "") {
        try {
          body = JSON.parse(text) as JsonValue;
        } catch {
          body = text;
        }
      }
      return { status: res.status, body };
    },
  };
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader: ReadableStreamDefaultReader<Uint8Array> =
    res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** Turns an unexpected status into the error model: 5xx/429 may pass, other statuses will not. */
export function unexpectedStatus(
  method: string,
  url: string,
  status: number,
  expected: number[],
): SwitchoverError {
  const retryable = status >= 500 || status === 429;
  return new SwitchoverError(
    retryable ? ErrorCode.UpstreamUnavailable : ErrorCode.Upstream,
    `${method} ${url} answered ${status}, expected ${expected.join(" or ")}`,
    { retryable, details: { url, status, expected } },
  );
}
