// RFC 9457 problem details: the one error shape the API answers with. ApiProblem is thrown by the
// API layer for transport failures only (authentication, 404 for a path no route serves, 405, 406,
// 413, 415, 429, malformed or invalid request shapes); every domain failure is a SwitchoverError,
// whose code the central error handler turns into status and problem type.
import type { components } from "../contract/openapi.js";

export type ProblemBody = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["FieldError"];
export type LockHolder = components["schemas"]["LockHolder"];

/**
 * The transport problem types: the slug after `urn:switchover:problem:`. Never rename one. Domain
 * problem types are the SwitchoverError codes in kebab case (`TARGET_LOCKED` → `target-locked`).
 */
export const ProblemType = {
  MalformedJson: "malformed-json",
  MalformedRequest: "malformed-request",
  Unauthorized: "unauthorized",
  NotFound: "not-found",
  MethodNotAllowed: "method-not-allowed",
  NotAcceptable: "not-acceptable",
  PayloadTooLarge: "payload-too-large",
  HeadersTooLarge: "headers-too-large",
  UnsupportedMediaType: "unsupported-media-type",
  Validation: "validation",
  TooManyStreams: "too-many-streams",
  Internal: "internal",
} as const;
export type ProblemType = (typeof ProblemType)[keyof typeof ProblemType];

export const PROBLEM_TYPE_PREFIX = "urn:switchover:problem:";

export function problemTypeUri(slug: string): string {
  return `${PROBLEM_TYPE_PREFIX}${slug}`;
}

export interface ApiProblemOptions {
  errors?: FieldError[];
  runId?: string;
  lockHolder?: LockHolder;
  headers?: Record<string, string>;
  details?: Record<string, unknown>;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: ProblemType,
    readonly title: string,
    detail: string,
    readonly options: ApiProblemOptions = {},
  ) {
    super(detail);
    this.name = "ApiProblem";
  }

  static validation(detail: string, errors: FieldError[]): ApiProblem {
    return new ApiProblem(422, ProblemType.Validation, "Request is invalid", detail, { errors });
  }

  static notFound(detail: string, extra: ApiProblemOptions = {}): ApiProblem {
    return new ApiProblem(404, ProblemType.NotFound, "Not found", detail, extra);
  }
}
