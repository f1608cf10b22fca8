// A validated runbook: what the engine runs. Produced only by parseRunbook, stored in each run as a
// snapshot so a run resumes with the runbook it started with even if the file changed since.
import type { JsonObject } from "../json.js";

export const PARAM_TYPES = ["string", "number", "boolean", "duration", "string[]"] as const;
export type ParamType = (typeof PARAM_TYPES)[number];
export type ParamValue = string | number | boolean | string[];

export interface ParamSpec {
  type: ParamType;
  description?: string;
  default?: ParamValue;
  enum?: (string | number)[];
  required: boolean;
}

export interface BackoffSpec {
  type: "fixed" | "exponential";
  /** First delay, as a duration. */
  delay: string;
  /** Ceiling for exponential backoff. */
  maxDelay: string;
}

export interface RetrySpec {
  /** Total tries including the first. */
  attempts: number;
  backoff: BackoffSpec;
}

export interface StepSpec {
  id: string;
  uses: string;
  name?: string;
  with: JsonObject;
  /** Expression source without the `${{ }}` wrapper. */
  when?: string;
  timeout?: string;
  retry?: RetrySpec;
  /** Human gate before apply. */
  approval?: { message?: string };
  onFailure: "abort" | "continue";
  /**
   * Inputs are taken as written, never template-resolved. Set on revert runs, whose inputs are
   * recorded world state: a recorded value containing "${{" must not become an expression.
   */
  literal?: boolean;
}

export interface Runbook {
  apiVersion: "switchover/v1";
  kind: "Runbook";
  metadata: { name: string; description?: string; labels: Record<string, string> };
  params: Record<string, ParamSpec>;
  steps: StepSpec[];
}
