// Validates runbook documents posted to /v1/runbooks/validate in a worker thread: parsing a 1 MiB
// YAML document takes hundreds of milliseconds even when linear, and in `all` mode the event loop
// it would block also drives runs. One worker, requests answered in order; a document that takes
// longer than the time limit has its worker replaced and gets a problem instead of an answer.
import { Worker } from "node:worker_threads";
import type { TargetCatalog } from "../engine/target-catalog.js";
import type { Problem } from "../engine/runbook/problem.js";
import { ApiProblem, ProblemType } from "./problem.js";

export interface ValidatorWorkerData {
  targets: TargetCatalog;
  extraKinds: string[];
}
export interface ValidationRequest {
  id: number;
  text: string;
  file: string;
}
export type ValidationReply =
  | { id: number; ok: true; name: string; steps: number }
  | { id: number; ok: false; problems: Problem[] }
  | { id: number; error: string };
export type ValidationOutcome =
  { ok: true; name: string; steps: number } | { ok: false; problems: Problem[] };

/** Located problems returned at most; the rest are counted in one closing problem. */
export const MAX_PROBLEMS = 200;

// Under tsx (npm start, tests) the sources are TypeScript and the worker needs tsx's loader too.
const WORKER_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./runbook-validation-worker.ts" : "./runbook-validation-worker.js",
  import.meta.url,
);

interface Pending {
  resolve(outcome: ValidationOutcome): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class RunbookValidator {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly data: ValidatorWorkerData,
    private readonly timeoutMs = 20_000,
  ) {}

  /** Starts the worker ahead of the first request (it loads every step module). */
  warm(): this {
    this.start();
    return this;
  }

  validate(text: string, file = "<request>"): Promise<ValidationOutcome> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<ValidationOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(
          new ApiProblem(
            422,
            ProblemType.Validation,
            "Runbook too costly to validate",
            `the document was not validated within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, text, file } satisfies ValidationRequest);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.fail(new Error("validator closed"));
    await w?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // TypeScript sources: register tsx's loader inside the worker before importing the module.
    const worker = WORKER_URL.pathname.endsWith(".ts")
      ? new Worker(
          `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
          { eval: true, workerData: this.data },
        )
      : new Worker(WORKER_URL, { workerData: this.data });
    worker.unref();
    worker.on("message", (reply: ValidationReply) => this.settle(reply));
    worker.on("error", (err) => this.fail(err));
    worker.on("exit", () => {
      if (this.worker === worker) this.worker = undefined;
      this.fail(new Error("runbook validation worker exited"));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: ValidationReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if ("error" in reply) p.reject(new Error(reply.error));
    else if (reply.ok) p.resolve({ ok: true, name: reply.name, steps: reply.steps });
    else p.resolve({ ok: false, problems: reply.problems });
  }

  /** Rejects everything pending and replaces the worker (a stuck parse cannot be interrupted). */
  private fail(err: Error): void {
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}

/** Caps the list in the worker: cloning tens of thousands of problems back would block this loop. */
export function capped(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const first = problems[0]!;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    {
      file: first.file,
      line: 1,
      col: 1,
      path: "",
      message: `${problems.length - MAX_PROBLEMS} more problem(s) not listed; fix the ones above first`,
    },
  ];
}
