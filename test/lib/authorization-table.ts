// Who may do what, as one table the API tests (in-process) and the reliability suite (a real
// service process) both send: every authenticated operation × role, and every run command × caller
// × requester × run state with the answer expected under approvals.required "all" with 2 approvers.

export type Role = "viewer" | "operator" | "approver" | "admin";
export const ROLES: Role[] = ["viewer", "operator", "approver", "admin"];

/** What a request needs from the test that sends it: a finished run, a runbook and two of its steps. */
export interface TableContext {
  runId: string;
  runbook: string;
  /** The step that changes something (the policy gate parks the run before it). */
  changeStep: string;
  params: Record<string, unknown>;
}

export interface EndpointRule {
  method: string;
  template: string;
  path: (c: TableContext) => string;
  allowed: Role[];
  body?: (c: TableContext) => unknown;
  raw?: string;
  contentType?: string;
}

const OPERATORS: Role[] = ["operator", "admin"];
const APPROVERS: Role[] = ["approver", "admin"];

/** Every authenticated operation of the OpenAPI document and the roles that get through. */
export const ENDPOINTS: EndpointRule[] = [
  { method: "GET", template: "/v1/runbooks", path: () => "/v1/runbooks", allowed: ROLES },
  {
    method: "POST",
    template: "/v1/runbooks/validate",
    path: () => "/v1/runbooks/validate",
    allowed: ROLES,
    raw: "apiVersion: switchover/v1\n",
    contentType: "application/yaml",
  },
  {
    method: "GET",
    template: "/v1/runbooks/{name}",
    path: (c) => `/v1/runbooks/${c.runbook}`,
    allowed: ROLES,
  },
  {
    method: "POST",
    template: "/v1/runbooks/{name}/runs",
    path: (c) => `/v1/runbooks/${c.runbook}/runs`,
    allowed: OPERATORS,
    body: (c) => ({ params: c.params }),
  },
  { method: "GET", template: "/v1/runs", path: () => "/v1/runs", allowed: ROLES },
  { method: "GET", template: "/v1/runs/{id}", path: (c) => `/v1/runs/${c.runId}`, allowed: ROLES },
  {
    method: "GET",
    template: "/v1/runs/{id}/events",
    path: (c) => `/v1/runs/${c.runId}/events`,
    allowed: ROLES,
  },
  {
    method: "GET",
    template: "/v1/runs/{id}/report",
    path: (c) => `/v1/runs/${c.runId}/report`,
    allowed: ROLES,
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/approve",
    path: (c) => `/v1/runs/${c.runId}/approve`,
    allowed: APPROVERS,
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/reject",
    path: (c) => `/v1/runs/${c.runId}/reject`,
    allowed: APPROVERS,
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/cancel",
    path: (c) => `/v1/runs/${c.runId}/cancel`,
    allowed: OPERATORS,
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/revert",
    path: (c) => `/v1/runs/${c.runId}/revert`,
    allowed: OPERATORS,
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/retry",
    path: (c) => `/v1/runs/${c.runId}/retry`,
    allowed: OPERATORS,
    body: () => ({ reason: "auth matrix" }),
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/steps/{stepId}/skip",
    path: (c) => `/v1/runs/${c.runId}/steps/${c.changeStep}/skip`,
    allowed: OPERATORS,
    body: () => ({ reason: "auth matrix" }),
  },
  { method: "GET", template: "/v1/schedules", path: () => "/v1/schedules", allowed: ROLES },
  {
    method: "POST",
    template: "/v1/schedules",
    path: () => "/v1/schedules",
    allowed: ["admin"],
    body: (c) => ({ id: "auth-matrix", runbook: c.runbook, cron: "0 3 1 1 *" }),
  },
  {
    method: "DELETE",
    template: "/v1/schedules/{scheduleId}",
    path: () => "/v1/schedules/auth-matrix",
    allowed: ["admin"],
  },
  { method: "GET", template: "/v1/audit", path: () => "/v1/audit", allowed: ROLES },
  { method: "GET", template: "/v1/audit/verify", path: () => "/v1/audit/verify", allowed: ROLES },
  // Admin only; with nothing lost the admin's answer is 409 (nothing to restore).
  { method: "POST", template: "/v1/audit/restore", path: () => "/v1/audit/restore", allowed: ["admin"] },
  { method: "GET", template: "/v1/whoami", path: () => "/v1/whoami", allowed: ROLES },
  {
    method: "POST",
    template: "/v1/runbooks/{name}/evaluate",
    path: (c) => `/v1/runbooks/${c.runbook}/evaluate`,
    allowed: ROLES,
    body: (c) => ({ params: c.params }),
  },
  { method: "GET", template: "/v1/evaluations", path: () => "/v1/evaluations", allowed: ROLES },
  { method: "GET", template: "/v1/posture", path: () => "/v1/posture?cluster=dc1", allowed: ROLES },
];

/** Callers of the run commands: the four roles and a second approver (role approver only). */
export type Caller = Role | "approver2";
export const CALLERS: Caller[] = ["viewer", "operator", "approver", "approver2", "admin"];
/** Who requested the run: an operator, or an admin (who then may not approve it). */
export type Requester = "operator" | "admin";
export const REQUESTERS: Requester[] = ["operator", "admin"];

/**
 * The run states a command can meet. waiting: parked at the policy gate before the change, no
 * approval yet; partly: one of the two approvals given (by approver); rejected: an approver said
 * no; succeeded: approved by two, changed, done; failed: approved by two, changed, then a later
 * step failed; cancelled: cancelled while waiting; dry-run: a finished dry run.
 */
export const STATES = [
  "waiting",
  "partly",
  "rejected",
  "succeeded",
  "failed",
  "cancelled",
  "dry-run",
] as const;
export type RunState = (typeof STATES)[number];
/** skip-change: skip the step the gate guards; skip-next: skip the (non-gate) step after it. */
export const COMMANDS = [
  "approve",
  "reject",
  "skip-change",
  "skip-next",
  "retry",
  "cancel",
  "revert",
] as const;
export type Command = (typeof COMMANDS)[number];

// One line per state × command: the answer for each caller (viewer operator approver approver2
// admin) when an operator requested the run | when an admin did. The run's one change cannot be
// undone generically (a POST), so a revert of a run that made it has nothing to do: 409.
const TABLE = `
waiting    approve      403 403 200 200 200 | 403 403 200 200 403
waiting    reject       403 403 200 200 200 | 403 403 200 200 200
waiting    skip-change  403 409 403 403 409 | 403 409 403 403 409
waiting    skip-next    403 403 403 403 200 | 403 403 403 403 403
waiting    retry        403 409 403 403 409 | 403 409 403 403 409
waiting    cancel       403 200 403 403 200 | 403 200 403 403 200
waiting    revert       403 409 403 403 409 | 403 409 403 403 409
partly     approve      403 403 409 200 200 | 403 403 409 200 403
partly     reject       403 403 200 200 200 | 403 403 200 200 200
partly     skip-change  403 409 403 403 409 | 403 409 403 403 409
partly     skip-next    403 403 403 403 200 | 403 403 403 403 403
partly     retry        403 409 403 403 409 | 403 409 403 403 409
partly     cancel       403 200 403 403 200 | 403 200 403 403 200
partly     revert       403 409 403 403 409 | 403 409 403 403 409
rejected   approve      403 403 409 409 409 | 403 403 409 409 409
rejected   reject       403 403 409 409 409 | 403 403 409 409 409
rejected   skip-change  403 409 403 403 409 | 403 409 403 403 409
rejected   skip-next    403 200 403 403 200 | 403 200 403 403 200
rejected   retry        403 202 403 403 202 | 403 202 403 403 202
rejected   cancel       403 409 403 403 409 | 403 409 403 403 409
rejected   revert       403 409 403 403 409 | 403 409 403 403 409
succeeded  approve      403 403 409 409 409 | 403 403 409 409 409
succeeded  reject       403 403 409 409 409 | 403 403 409 409 409
succeeded  skip-change  403 409 403 403 409 | 403 409 403 403 409
succeeded  skip-next    403 409 403 403 409 | 403 409 403 403 409
succeeded  retry        403 409 403 403 409 | 403 409 403 403 409
succeeded  cancel       403 409 403 403 409 | 403 409 403 403 409
succeeded  revert       403 409 403 403 409 | 403 409 403 403 409
failed     approve      403 403 409 409 409 | 403 403 409 409 409
failed     reject       403 403 409 409 409 | 403 403 409 409 409
failed     skip-change  403 409 403 403 409 | 403 409 403 403 409
failed     skip-next    403 200 403 403 200 | 403 200 403 403 200
failed     retry        403 202 403 403 202 | 403 202 403 403 202
failed     cancel       403 409 403 403 409 | 403 409 403 403 409
failed     revert       403 409 403 403 409 | 403 409 403 403 409
cancelled  approve      403 403 409 409 409 | 403 403 409 409 409
cancelled  reject       403 403 409 409 409 | 403 403 409 409 409
cancelled  skip-change  403 409 403 403 409 | 403 409 403 403 409
cancelled  skip-next    403 409 403 403 409 | 403 409 403 403 409
cancelled  retry        403 409 403 403 409 | 403 409 403 403 409
cancelled  cancel       403 409 403 403 409 | 403 409 403 403 409
cancelled  revert       403 409 403 403 409 | 403 409 403 403 409
dry-run    approve      403 403 409 409 409 | 403 403 409 409 409
dry-run    reject       403 403 409 409 409 | 403 403 409 409 409
dry-run    skip-change  403 409 403 403 409 | 403 409 403 403 409
dry-run    skip-next    403 409 403 403 409 | 403 409 403 403 409
dry-run    retry        403 409 403 403 409 | 403 409 403 403 409
dry-run    cancel       403 409 403 403 409 | 403 409 403 403 409
dry-run    revert       403 409 403 403 409 | 403 409 403 403 409
`;

export interface CommandCase {
  state: RunState;
  command: Command;
  requester: Requester;
  caller: Caller;
  expected: number;
}

/** The table as cases, checked for completeness: every state × command × requester × caller once. */
export function commandCases(): CommandCase[] {
  const out: CommandCase[] = [];
  for (const line of TABLE.trim().split("\n")) {
    const [head, tail] = line.split("|") as [string, string];
    const [state, command, ...byOperator] = head.trim().split(/\s+/);
    const byAdmin = tail.trim().split(/\s+/);
    if (!STATES.includes(state as RunState) || !COMMANDS.includes(command as Command)) {
      throw new Error(`authorization table: unknown state or command in "${line}"`);
    }
    if (byOperator.length !== CALLERS.length || byAdmin.length !== CALLERS.length) {
      throw new Error(`authorization table: "${line}" needs ${CALLERS.length} answers on each side`);
    }
    for (const [requester, answers] of [
      ["operator", byOperator],
      ["admin", byAdmin],
    ] as const) {
      CALLERS.forEach((caller, i) =>
        out.push({
          state: state as RunState,
          command: command as Command,
          requester,
          caller,
          expected: Number(answers[i]),
        }),
      );
    }
  }
  const want = STATES.length * COMMANDS.length * REQUESTERS.length * CALLERS.length;
  if (new Set(out.map((c) => `${c.state} ${c.command} ${c.requester} ${c.caller}`)).size !== want) {
    throw new Error(`authorization table: expected ${want} distinct cases, found ${out.length}`);
  }
  return out;
}
