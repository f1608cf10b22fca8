// The API client: every call carries the bearer token kept in this tab's sessionStorage (never a
// cookie, never localStorage), and every refusal becomes an ApiError holding the problem+json.

/** @typedef {import("./types.js").Problem} Problem */

const TOKEN_KEY = "switchover.token";

/** @returns {string | undefined} */
export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** @param {string} token */
export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title);
    this.status = status;
    this.problem = problem;
  }
}

/** Called when the API says the token is missing, unknown or revoked. */
/** @type {(problem: Problem) => void} */
let onUnauthorized = () => {};

/** @param {(problem: Problem) => void} handler */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/**
 * The problem+json of a refusal, or a problem describing what came back instead.
 * @param {Response} res
 * @returns {Promise<Problem>}
 */
export async function readProblem(res) {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      /** @type {unknown} */
      const body = await res.json();
      if (body && typeof body === "object" && "detail" in body && typeof body.detail === "string") {
        return /** @type {Problem} */ (body);
      }
    } catch {
      // Not JSON after all: describe the status below.
    }
  }
  return {
    type: "urn:switchover:problem:http",
    title: res.statusText || `HTTP ${res.status}`,
    status: res.status,
    detail: `the API answered ${res.status} ${res.statusText}`.trim(),
  };
}

/**
 * @param {string} token
 * @returns {Record<string, string>}
 */
export function authHeaders(token) {
  return { Authorization: `Bearer ${token}` };
}

/**
 * Calls the API and returns the parsed JSON body; throws ApiError on any refusal.
 * @param {string} path
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal, accept?: string, headers?: Record<string, string> }} [opts]
 * @returns {Promise<any>}
 */
export async function api(path, opts = {}) {
  const token = getToken();
  if (!token) {
    const problem = {
      type: "urn:switchover:problem:unauthorized",
      title: "Unauthorized",
      status: 401,
      detail: "enter a token first",
    };
    onUnauthorized(problem);
    throw new ApiError(401, problem);
  }
  /** @type {Record<string, string>} */
  const headers = { ...opts.headers, ...authHeaders(token), Accept: opts.accept ?? "application/json" };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method: opts.method ?? "GET",
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    cache: "no-store",
    credentials: "omit",
  });
  if (!res.ok) {
    const problem = await readProblem(res);
    if (res.status === 401) onUnauthorized(problem);
    throw new ApiError(res.status, problem);
  }
  const type = res.headers.get("content-type") ?? "";
  return type.includes("json") ? await res.json() : await res.text();
}
