// The one place errors become HTTP answers: API problems, the engine's SwitchoverError (by code),
// body-parser failures, and anything else as a logged 500 that reveals nothing internal.
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { Logger } from "../engine/ports/logger.js";
import { ApiProblem, problemTypeUri, ProblemType } from "./problem.js";
import type { FieldError, LockHolder, ProblemBody } from "./problem.js";

interface BodyParserError {
  type: string;
  status: number;
  expose?: boolean;
  limit?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === "object" &&
    err !== null &&
    typeof (err as { type?: unknown }).type === "string" &&
    typeof (err as { status?: unknown }).status === "number"
  );
}

function isClientHttpError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === "number" && status >= 400 && status < 500;
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Request is invalid",
  500: "Internal error",
  502: "Upstream failed",
  503: "Unavailable",
  504: "Timed out",
};

/** Titles that say more than the status's own (the problem type stays the code's). */
const CODE_TITLES: Partial<Record<ErrorCode, string>> = {
  TARGET_LOCKED: "Target is locked",
  IDEMPOTENCY_KEY_REUSED: "Idempotency-Key reused",
  IDEMPOTENCY_IN_PROGRESS: "Request in progress",
  TWO_PERSON_RULE: "Two-person rule",
};

function isLockHolder(v: unknown): v is LockHolder {
  if (typeof v !== "object" || v === null) return false;
  const { runId, target, since } = v as Record<string, unknown>;
  return (
    typeof runId === "string" &&
    typeof target === "string" &&
    (since === undefined || typeof since === "number")
  );
}

/** SwitchoverError details that carry located problems become `errors`. */
function fieldErrors(details: Record<string, unknown>): FieldError[] | undefined {
  const problems = details.problems;
  if (!Array.isArray(problems)) return undefined;
  const out: FieldError[] = [];
  for (const p of problems as unknown[]) {
    if (typeof p !== "object" || p === null) continue;
    const { path, message, line, col } = p as Record<string, unknown>;
    if (typeof message !== "string") continue;
    const e: FieldError = { path: typeof path === "string" ? path : "", message };
    if (typeof line === "number") e.line = line;
    if (typeof col === "number") e.col = col;
    out.push(e);
  }
  return out;
}

export function toProblem(err: unknown): { body: ProblemBody; headers: Record<string, string> } {
  if (err instanceof ApiProblem) {
    const body: ProblemBody = {
      type: problemTypeUri(err.type),
      title: err.title,
      status: err.status,
      detail: err.message,
    };
    const o = err.options;
    if (o.errors) body.errors = o.errors;
    if (o.runId) body.runId = o.runId;
    if (o.lockHolder) body.lockHolder = o.lockHolder;
    if (o.details) body.details = o.details;
    return { body, headers: o.headers ?? {} };
  }
  if (err instanceof SwitchoverError) {
    const status = err.httpStatus >= 400 && err.httpStatus <= 599 ? err.httpStatus : 500;
    const body: ProblemBody = {
      type: problemTypeUri(err.code.toLowerCase().replace(/_/g, "-")),
      title: CODE_TITLES[err.code] ?? TITLES[status] ?? "Error",
      status,
      detail: status >= 500 && err.code === "INTERNAL" ? "internal error" : err.message,
      code: err.code,
      retryable: err.retryable,
    };
    const errors = fieldErrors(err.details);
    if (errors) body.errors = errors;
    if (typeof err.details.runId === "string") body.runId = err.details.runId;
    // Who holds the target, so the caller can follow or wait for that run.
    if (isLockHolder(err.details.lockHolder)) body.lockHolder = err.details.lockHolder;
    // The condition is what an operator (or a script) acts on: name it as data, not only in prose.
    if (err.code === ErrorCode.StateLost) body.details = err.details;
    // The approver's next request needs the plan the run waits on now.
    if (err.code === ErrorCode.ApprovalPlanChanged) body.details = { planHash: err.details.planHash ?? null };
    return { body, headers: {} };
  }
  if (isBodyParserError(err) && err.status >= 400 && err.status < 500) {
    const [status, type, detail] =
      err.type === "entity.parse.failed"
        ? [400, ProblemType.MalformedJson, "request body is not valid JSON"]
        : err.type === "entity.too.large"
          ? [413, ProblemType.PayloadTooLarge, `request body exceeds the limit of ${err.limit ?? "?"} bytes`]
          : err.type === "encoding.unsupported" || err.type === "charset.unsupported"
            ? [415, ProblemType.UnsupportedMediaType, "unsupported body encoding or charset"]
            : [400, ProblemType.MalformedRequest, `malformed request (${err.type})`];
    return {
      body: { type: problemTypeUri(type), title: TITLES[status] ?? "Bad request", status, detail },
      headers: {},
    };
  }
  if (isClientHttpError(err)) {
    // http-errors style failures from express itself (e.g. a path that is not valid percent-encoding).
    return {
      body: {
        type: problemTypeUri(ProblemType.MalformedRequest),
        title: TITLES[400]!,
        status: 400,
        detail: `malformed request: ${err instanceof URIError ? "invalid percent-encoding in the path" : "rejected by the HTTP layer"}`,
      },
      headers: {},
    };
  }
  return {
    body: {
      type: problemTypeUri(ProblemType.Internal),
      title: "Internal error",
      status: 500,
      detail: "internal error; see the server log for the request id",
    },
    headers: {},
  };
}

export function sendProblem(res: Response, err: unknown): void {
  const { body, headers } = toProblem(err);
  const requestId = res.locals.requestId as string | undefined;
  if (requestId) body.requestId = requestId;
  if (res.req.originalUrl) body.instance = res.req.originalUrl.split("?")[0]!.slice(0, 512);
  res.status(body.status).set(headers).type("application/problem+json").send(JSON.stringify(body));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // A stream (SSE) already started: nothing to answer; end it.
      logger.warn({ err: String(err), path: req.path }, "error after response started");
      next(err);
      return;
    }
    const { body } = toProblem(err);
    if (body.status >= 500) {
      logger.error(
        {
          requestId: res.locals.requestId as string | undefined,
          method: req.method,
          path: req.path,
          err:
            err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
        },
        "request failed",
      );
    }
    sendProblem(res, err);
  };
}

/** What the fallback needs of an express/router layer (untyped internals, read only). */
interface RouteLayer {
  route?: { methods: Record<string, boolean | undefined> };
  handle?: { stack?: RouteLayer[] };
  match(path: string): { path: string } | false;
}

/** Methods the routes under `stack` serve at `path` (GET implies HEAD); empty when no route matches. */
function allowedMethods(stack: readonly RouteLayer[], path: string, out = new Set<string>()): Set<string> {
  for (const layer of stack) {
    const m = layer.match(path);
    if (!m) continue;
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (!on || method === "_all") continue;
        out.add(method.toUpperCase());
        if (method === "get") out.add("HEAD");
      }
    } else if (layer.handle?.stack) {
      allowedMethods(layer.handle.stack, path.slice(m.path.length) || "/", out);
    }
  }
  return out;
}

/**
 * The last handler: a path some route serves with other methods gets 405 with an Allow header
 * (RFC 9110 §15.5.6); any other path 404. `router` is the app's (express 5: `app.router`).
 */
export function unmatchedRoute(router: unknown, detail = ""): RequestHandler {
  const stack = (router as { stack?: RouteLayer[] }).stack ?? [];
  return (req, _res, next) => {
    const path = req.path.slice(0, 200);
    const allowed = allowedMethods(stack, req.path);
    if (allowed.size > 0 && !allowed.has(req.method)) {
      const allow = [...allowed].sort().join(", ");
      next(
        new ApiProblem(
          405,
          ProblemType.MethodNotAllowed,
          "Method not allowed",
          `${req.method} is not allowed on ${path}; allowed: ${allow}`,
          { headers: { Allow: allow } },
        ),
      );
      return;
    }
    next(ApiProblem.notFound(`no route for ${req.method} ${path}${detail}`));
  };
}
