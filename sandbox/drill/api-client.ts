// A small client of the switchover HTTP API for the drills: start runs, wait for them, follow their
// Server-Sent Events live, and read plans and reports as text. Every real run waits for a second
// person (approvals.required all): a client given a second person's client has that person approve
// the plan the run waits on, as an on-call pair would.
export interface RunSummary {
  id: string;
  state: string;
  dryRun: boolean;
  steps: {
    id: string;
    state: string;
    outputs?: Record<string, unknown>;
    error?: unknown;
    startedAt?: number;
    finishedAt?: number;
  }[];
  error?: unknown;
  /** Present while the run waits for approval. */
  approval?: { stepId: string; planHash?: string; remaining: number; requestedAt: number };
}

export interface LiveEvent {
  id: string;
  type: string;
  data: { type?: string; stepId?: string; from?: string; to?: string; at?: number; data?: unknown };
}

export class SwitchoverApi {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    /** The approver (another token) who approves this client's real runs when they park. */
    readonly secondPerson?: SwitchoverApi,
  ) {}

  /** POST /v1/runs/{id}/approve, bound to the plan the approver read. */
  async approve(id: string, body: { planHash?: string; comment?: string } = {}): Promise<RunSummary> {
    const res = await this.#request(`/v1/runs/${id}/approve`, { method: "POST", body: JSON.stringify(body) });
    return (await res.json()) as RunSummary;
  }

  /**
   * A parked run is approved by the second person, once per request, bound to the plan it waits
   * on; without a second person (or when it needs more approvers than that) waiting is an error.
   */
  async #approveParked(
    run: RunSummary,
    answered: Set<string>,
    onApproved?: (line: string) => void,
  ): Promise<void> {
    const a = run.approval;
    const request = a ? `${a.stepId}@${a.requestedAt}` : "";
    if (!this.secondPerson || !a || answered.has(request)) {
      throw new Error(
        `run ${run.id} waits for approval${a ? ` at step ${a.stepId} (${a.remaining} more needed)` : ""}`,
      );
    }
    answered.add(request);
    await this.secondPerson.approve(run.id, {
      ...(a.planHash ? { planHash: a.planHash } : {}),
      comment: "drill: the second person reviewed the plan",
    });
    onApproved?.(`approved by the second person at step ${a.stepId} (plan ${a.planHash ?? "-"})`);
  }

  /** Until the run finishes: approves each time it parks (see #approveParked). */
  async approveWhenParked(
    id: string,
    onApproved?: (line: string) => void,
    timeoutMs = 600_000,
  ): Promise<void> {
    const answered = new Set<string>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.run(id);
      if (["succeeded", "failed", "cancelled"].includes(run.state)) return;
      if (run.state === "waiting_approval") await this.#approveParked(run, answered, onApproved);
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async #request(path: string, init: RequestInit & { accept?: string } = {}): Promise<Response> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: init.accept ?? "application/json",
        ...(init.body ? { "content-type": "application/json" } : {}),
      },
      signal: init.signal ?? AbortSignal.timeout(30_000),
    });
    if (!res.ok && res.status !== 202) {
      throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${(await res.text()).slice(0, 800)}`);
    }
    return res;
  }

  async startRun(
    runbook: string,
    body: { params?: Record<string, unknown>; dryRun: boolean; reason?: string },
  ) {
    const res = await this.#request(`/v1/runbooks/${runbook}/runs`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { run?: RunSummary } & RunSummary;
    return json.run ?? json;
  }

  /** POST /v1/runs/{id}/revert; the API's default is a dry-run, so say which. */
  async revert(runId: string, reason: string, dryRun: boolean): Promise<RunSummary> {
    const res = await this.#request(`/v1/runs/${runId}/revert`, {
      method: "POST",
      body: JSON.stringify({ reason, dryRun }),
    });
    const json = (await res.json()) as { run?: RunSummary } & RunSummary;
    return json.run ?? json;
  }

  async run(id: string): Promise<RunSummary> {
    return (await (await this.#request(`/v1/runs/${id}`)).json()) as RunSummary;
  }

  async runText(id: string): Promise<string> {
    return (await this.#request(`/v1/runs/${id}`, { accept: "text/plain" })).text();
  }

  async reportText(id: string): Promise<string> {
    return (await this.#request(`/v1/runs/${id}/report`, { accept: "text/plain" })).text();
  }

  async report(id: string): Promise<Record<string, unknown>> {
    return (await (await this.#request(`/v1/runs/${id}/report`)).json()) as Record<string, unknown>;
  }

  /** Polls until the run is succeeded, failed or cancelled; a parked run is approved by the second person. */
  async waitFinished(id: string, timeoutMs = 600_000): Promise<RunSummary> {
    const deadline = Date.now() + timeoutMs;
    const answered = new Set<string>();
    for (;;) {
      const run = await this.run(id);
      if (["succeeded", "failed", "cancelled"].includes(run.state)) return run;
      if (run.state === "waiting_approval") await this.#approveParked(run, answered);
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Follows GET /v1/runs/{id}/events until `event: end`, calling onEvent for each event. */
  async follow(id: string, onEvent: (e: LiveEvent) => void, timeoutMs = 600_000): Promise<void> {
    const res = await this.#request(`/v1/runs/${id}/events`, {
      accept: "text/event-stream",
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.body) throw new Error("no event stream");
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let type = "message";
        let eventId = "";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) type = line.slice(7);
          else if (line.startsWith("id: ")) eventId = line.slice(4);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (type === "end") return;
        if (!data) continue;
        onEvent({ id: eventId, type, data: JSON.parse(data) as LiveEvent["data"] });
      }
    }
  }
}
