// The switchover web page: a runs list and a run page (live timeline over SSE, plans, audit trail,
// approve / reject / cancel for the roles allowed to use them). Hash routes (#/, #/runs/<id>) so
// the API serves one static file; every call carries the token entered once for this tab.

import { api, ApiError, clearToken, getToken, setToken, setUnauthorizedHandler } from "./api.js";
import { byId, h, replace } from "./dom.js";
import { changeLine, duration, isTerminal, RUN_STATES, span, stateInfo, utc, value } from "./format.js";
import { fetchReportChart } from "./report-chart.js";
import { followEvents } from "./sse.js";
import { timelineChart } from "./timeline.js";

/** @typedef {import("./types.js").Run} Run */
/** @typedef {import("./types.js").RunSummary} RunSummary */
/** @typedef {import("./types.js").StepRecord} StepRecord */
/** @typedef {import("./types.js").RunEvent} RunEvent */
/** @typedef {import("./types.js").AuditEntry} AuditEntry */
/** @typedef {import("./types.js").WhoAmI} WhoAmI */
/** @typedef {import("./types.js").Problem} Problem */

const LIST_POLL_MS = 3_000;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** @type {WhoAmI | undefined} */
let me;
let viewAbort = new AbortController();

// ---------------------------------------------------------------------------------------------
// Shared bits

/** @param {string} text */
function announce(text) {
  const el = byId("announcer");
  // Re-setting the same text would not be announced again; clear first.
  el.textContent = "";
  setTimeout(() => (el.textContent = text), 50);
}

/**
 * @param {string} state
 * @param {string} [extraClass]
 */
function badge(state, extraClass = "") {
  const info = stateInfo(state);
  return h(
    "span",
    { class: `badge tone-${info.tone} ${extraClass}`.trim(), "data-state": state },
    h("span", { "aria-hidden": "true" }, info.symbol),
    ` ${info.label}`,
  );
}

/**
 * @param {unknown} err
 * @returns {string}
 */
function problemText(err) {
  if (err instanceof ApiError) {
    const p = err.problem;
    const fields = (p.errors ?? []).map((e) => `${e.path}: ${e.message}`).join("; ");
    return `${p.status} ${p.title}: ${p.detail}${fields ? ` (${fields})` : ""}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve(undefined)), { once: true });
  });
}

/** @param {unknown} err */
function isAbort(err) {
  return err instanceof DOMException && err.name === "AbortError";
}

// ---------------------------------------------------------------------------------------------
// Token and identity

/** @param {string} [message] */
function showLogin(message) {
  me = undefined;
  byId("who").hidden = true;
  byId("view").replaceChildren();
  byId("login").hidden = false;
  byId("login-error").textContent = message ?? "";
  const input = /** @type {HTMLInputElement} */ (byId("token"));
  input.value = "";
  input.focus();
}

async function loadMe() {
  me = /** @type {WhoAmI} */ (await api("/v1/whoami"));
  byId("who-text").textContent = `${me.actor} (${me.roles.join(", ") || "no roles"})`;
  byId("who").hidden = false;
  return me;
}

setUnauthorizedHandler((problem) => {
  clearToken();
  viewAbort.abort();
  showLogin(`The API refused the token: ${problem.detail}`);
});

byId("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId("token"));
  const token = input.value.trim();
  if (!token) return;
  setToken(token);
  input.value = "";
  loadMe().then(
    () => {
      byId("login").hidden = true;
      void route();
    },
    (err) => {
      if (!(err instanceof ApiError && err.status === 401)) {
        byId("login-error").textContent = `Could not reach the API: ${problemText(err)}`;
      }
    },
  );
});

byId("signout").addEventListener("click", () => {
  clearToken();
  viewAbort.abort();
  showLogin("Token forgotten.");
});

// ---------------------------------------------------------------------------------------------
// Router

async function route() {
  const hash = location.hash || "#/";
  if (!hash.startsWith("#/")) return; // an in-page anchor such as the skip link
  viewAbort.abort();
  viewAbort = new AbortController();
  const signal = viewAbort.signal;
  if (!getToken()) return showLogin();
  byId("login").hidden = true;
  const focused = document.activeElement?.id;
  try {
    if (!me) await loadMe();
    const [path = "/", query = ""] = hash.slice(1).split("?");
    const run = /^\/runs\/([^/]+)$/.exec(path);
    if (run && RUN_ID.test(decodeURIComponent(run[1] ?? ""))) {
      await runView(decodeURIComponent(run[1] ?? ""), signal);
    } else {
      await runsView(new URLSearchParams(query), signal);
    }
    // Re-rendering a view (e.g. a filter change) keeps keyboard focus where it was; a new view
    // takes it to its content, so the next Tab starts there and screen readers hear the change.
    const again = focused ? document.getElementById(focused) : null;
    if (again && !again.closest("[hidden]")) again.focus();
    else byId("main").focus();
  } catch (err) {
    if (isAbort(err) || signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) return;
    replace(
      byId("view"),
      h("h1", {}, "Something went wrong"),
      h("p", { class: "problem", role: "alert" }, problemText(err)),
      h("p", {}, h("a", { href: "#/" }, "Back to the runs")),
    );
  }
}

window.addEventListener("hashchange", () => void route());

// ---------------------------------------------------------------------------------------------
// Runs list

/**
 * @param {URLSearchParams} query
 * @param {AbortSignal} signal
 */
async function runsView(query, signal) {
  const who = /** @type {WhoAmI} */ (me);
  const state = query.get("state") ?? "";
  const runbook = query.get("runbook") ?? "";
  document.title = "Runs · switchover";

  /** @type {{ name: string, valid: boolean, description?: string }[]} */
  const runbooks = (await api("/v1/runbooks", { signal })).items;

  const stateSel = h(
    "select",
    { id: "filter-state", name: "state" },
    h("option", { value: "" }, "any state"),
    ...RUN_STATES.map((s) => h("option", { value: s, selected: s === state }, stateInfo(s).label)),
  );
  const runbookSel = h(
    "select",
    { id: "filter-runbook", name: "runbook" },
    h("option", { value: "" }, "any runbook"),
    ...runbooks.map((r) => h("option", { value: r.name, selected: r.name === runbook }, r.name)),
  );
  const applyFilters = () => {
    const qs = new URLSearchParams();
    if (stateSel.value) qs.set("state", stateSel.value);
    if (runbookSel.value) qs.set("runbook", runbookSel.value);
    const next = `#/${qs.size > 0 ? `?${qs}` : ""}`;
    if (location.hash !== next) location.hash = next;
  };
  stateSel.addEventListener("change", applyFilters);
  runbookSel.addEventListener("change", applyFilters);
  const filters = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter runs",
      onsubmit: (ev) => (ev.preventDefault(), applyFilters()),
    },
    h("div", { class: "field" }, h("label", { for: "filter-state" }, "State"), stateSel),
    h("div", { class: "field" }, h("label", { for: "filter-runbook" }, "Runbook"), runbookSel),
    h("button", { type: "submit" }, "Apply filters"),
  );

  const tbody = h("tbody", { id: "runs-body" });
  const status = h("p", { id: "list-status", class: "muted" }, "Loading…");
  const error = h("p", { id: "list-error", class: "problem", role: "alert" });
  const caption = [state && `state ${stateInfo(state).label}`, runbook && `runbook ${runbook}`]
    .filter(Boolean)
    .join(", ");
  replace(
    byId("view"),
    h("h1", {}, "Runs"),
    who.can.startDryRun
      ? startForm(
          runbooks.filter((r) => r.valid).map((r) => r.name),
          who,
        )
      : null,
    h(
      "section",
      { "aria-labelledby": "list-heading" },
      h("h2", { id: "list-heading" }, "Recent runs"),
      filters,
      status,
      error,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "runs" },
          h("caption", { class: "visually-hidden" }, `Runs, newest first${caption ? ` (${caption})` : ""}`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Run", "Runbook", "Mode", "State", "Steps", "Requested by", "Created", "Duration"].map(
                (t) => h("th", { scope: "col" }, t),
              ),
            ),
          ),
          tbody,
        ),
      ),
    ),
  );

  /** @type {Map<string, string> | undefined} */
  let known;
  const refresh = async () => {
    const qs = new URLSearchParams({ limit: "100" });
    if (state) qs.set("state", state);
    if (runbook) qs.set("runbook", runbook);
    /** @type {RunSummary[]} */
    const items = (await api(`/v1/runs?${qs}`, { signal })).items;
    const now = Date.now();
    // Polling must not take keyboard focus away: refocus the same run's link after the redraw.
    const active = document.activeElement;
    const focusedRun =
      active && tbody.contains(active) ? active.closest("tr")?.getAttribute("data-run") : null;
    replace(tbody, ...items.map((r) => runRow(r, now)));
    if (focusedRun) {
      /** @type {HTMLElement | null} */ (
        tbody.querySelector(`tr[data-run="${CSS.escape(focusedRun)}"] a`)
      )?.focus();
    }
    if (items.length === 0) {
      replace(tbody, h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No runs match.")));
    }
    if (known) {
      for (const r of items) {
        const before = known.get(r.id);
        if (before !== undefined && before !== r.state) announce(`Run ${r.id}: ${stateInfo(r.state).label}`);
      }
    }
    known = new Map(items.map((r) => [r.id, r.state]));
    status.textContent = `${items.length} run${items.length === 1 ? "" : "s"} · updated ${utc(now)} · refreshes every ${LIST_POLL_MS / 1_000} s`;
  };

  // Poll in the background; the view's signal stops it when the user navigates away.
  void (async () => {
    while (!signal.aborted) {
      try {
        await refresh();
        error.textContent = "";
      } catch (err) {
        if (signal.aborted || isAbort(err)) return;
        if (err instanceof ApiError && err.status === 401) return;
        error.textContent = `Could not load runs: ${problemText(err)}`;
      }
      await sleep(LIST_POLL_MS, signal);
    }
  })();
}

/**
 * @param {RunSummary} r
 * @param {number} now
 */
function runRow(r, now) {
  const steps = Object.entries(r.steps)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${stateInfo(s).label}`)
    .join(", ");
  return h(
    "tr",
    { "data-run": r.id },
    h("th", { scope: "row" }, h("a", { href: `#/runs/${r.id}`, class: "mono" }, r.id)),
    h("td", {}, r.runbook),
    h("td", {}, r.dryRun ? "dry-run" : h("strong", {}, "real")),
    h("td", {}, badge(r.state)),
    h("td", {}, steps || "—"),
    h("td", {}, r.requestedBy ?? "—"),
    h("td", {}, h("time", { datetime: new Date(r.createdAt).toISOString() }, utc(r.createdAt))),
    h("td", {}, duration(span(r.startedAt, r.finishedAt, now))),
  );
}

/**
 * @param {string[]} names
 * @param {WhoAmI} who
 */
function startForm(names, who) {
  let idempotencyKey = crypto.randomUUID();
  const runbookSel = h(
    "select",
    { id: "start-runbook", name: "runbook", required: true },
    ...names.map((n) => h("option", { value: n }, n)),
  );
  const params = h("textarea", {
    id: "start-params",
    name: "params",
    rows: 2,
    spellcheck: "false",
    placeholder: '{"key": "value"}',
  });
  const reason = h("input", { id: "start-reason", name: "reason", maxlength: 1000 });
  const dry = h("input", { id: "start-dry", name: "dryRun", type: "checkbox", checked: true });
  if (!who.can.startRealRun) dry.disabled = true;
  const submit = h("button", { type: "submit", id: "start-submit", class: "primary" }, "Start dry-run");
  const error = h("p", { id: "start-error", class: "problem", role: "alert" });
  const sync = () => {
    submit.textContent = dry.checked ? "Start dry-run" : "Start REAL run";
    submit.classList.toggle("danger", !dry.checked);
    // A real run changes production: say why, in the audit log.
    reason.required = !dry.checked;
  };
  dry.addEventListener("change", sync);
  const form = h(
    "form",
    { id: "start-form", "aria-labelledby": "start-heading", class: "start" },
    h("h2", { id: "start-heading" }, "Start a run"),
    h("div", { class: "field" }, h("label", { for: "start-runbook" }, "Runbook"), runbookSel),
    h(
      "div",
      { class: "field" },
      h("label", { for: "start-params" }, "Params (JSON object, optional)"),
      params,
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "start-reason" }, "Reason (required for a real run)"),
      reason,
    ),
    h(
      "div",
      { class: "check" },
      dry,
      h("label", { for: "start-dry" }, "Dry-run: plan every step, change nothing"),
    ),
    submit,
    error,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    error.textContent = "";
    /** @type {Record<string, unknown>} */
    const body = { dryRun: dry.checked };
    if (params.value.trim()) {
      try {
        const parsed = /** @type {unknown} */ (JSON.parse(params.value));
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        body.params = parsed;
      } catch (err) {
        error.textContent = `Params must be a JSON object: ${err instanceof Error ? err.message : String(err)}`;
        params.focus();
        return;
      }
    }
    if (reason.value.trim()) body.reason = reason.value.trim();
    submit.disabled = true;
    api(`/v1/runbooks/${encodeURIComponent(runbookSel.value)}/runs`, {
      method: "POST",
      body,
      headers: { "Idempotency-Key": idempotencyKey },
    }).then(
      (run) => {
        idempotencyKey = crypto.randomUUID();
        announce(`Started run ${run.id}`);
        location.hash = `#/runs/${run.id}`;
      },
      (err) => {
        submit.disabled = false;
        error.textContent = `The API refused: ${problemText(err)}`;
      },
    );
  });
  sync();
  return form;
}

// ---------------------------------------------------------------------------------------------
// One run

/**
 * @param {string} id
 * @param {AbortSignal} signal
 */
async function runView(id, signal) {
  const who = /** @type {WhoAmI} */ (me);
  document.title = `Run ${id} · switchover`;
  /** @type {Run} */
  let run = await api(`/v1/runs/${id}`, { signal });

  const summary = h("dl", { id: "run-summary", class: "summary" });
  const heading = h("h1", {}, "Run ", h("span", { class: "mono" }, id));
  const stepsList = h("ol", { id: "steps", class: "steps" });
  const chart = h("div", { id: "timeline-chart", "data-source": "steps" });
  const chartCaption = h("figcaption", { id: "timeline-caption", class: "muted" });
  const reportLink = h(
    "a",
    { id: "report-download", download: `switchover-report-${id}.html`, hidden: true },
    "Download the drill report (HTML)",
  );
  const streamStatus = h("p", { id: "stream-status", class: "muted" }, "Connecting to live events…");
  // A scrolling region: focusable so a keyboard can scroll it.
  const eventsList = h("ol", {
    id: "events",
    class: "events",
    reversed: true,
    tabindex: 0,
    "aria-label": "Events of this run, newest first",
  });
  const auditBody = h("tbody", { id: "audit-body" });
  const auditError = h("p", { class: "problem", role: "alert" });
  const actions = actionPanel(id, who, () => void refresh());
  // Break glass is never a detail: a banner above everything else, for as long as the run exists.
  const breakGlass = h("div", { id: "break-glass", class: "break-glass", role: "alert", hidden: true });

  replace(
    byId("view"),
    h("nav", { "aria-label": "Breadcrumb", class: "crumbs" }, h("a", { href: "#/" }, "Runs"), " › ", id),
    breakGlass,
    heading,
    summary,
    actions.section,
    h(
      "section",
      { "aria-labelledby": "steps-heading" },
      h("h2", { id: "steps-heading" }, "Steps"),
      stepsList,
    ),
    h(
      "section",
      { "aria-labelledby": "timeline-heading" },
      h("h2", { id: "timeline-heading" }, "Timeline"),
      h("figure", {}, chart, chartCaption),
      reportLink,
    ),
    h(
      "section",
      { "aria-labelledby": "events-heading" },
      h("h2", { id: "events-heading" }, "Live events"),
      streamStatus,
      eventsList,
    ),
    h(
      "section",
      { "aria-labelledby": "audit-heading" },
      h("h2", { id: "audit-heading" }, "Audit trail"),
      auditError,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "audit" },
          h("caption", { class: "visually-hidden" }, `Audit entries of run ${id}, oldest first`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["#", "Time", "Actor", "Action", "Step", "Details"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          auditBody,
        ),
      ),
    ),
  );

  /** @type {Map<string, string>} */
  let stepStates = new Map(run.steps.map((s) => [s.id, s.state]));
  let runState = run.state;

  const render = () => {
    const now = Date.now();
    renderBreakGlass(breakGlass, run);
    renderSummary(summary, run, now);
    replace(stepsList, ...run.steps.map((s) => stepItem(s, now)));
    if (chart.dataset.source === "steps") replace(chart, timelineChart(run, now));
    actions.update(run);
  };

  // The drill report's own chart when the API renders one; else the page draws it from the steps.
  const loadChart = async () => {
    try {
      const report = await fetchReportChart(id, signal);
      if (!report) throw new Error("the report has no chart");
      chart.dataset.source = "report";
      replace(chart, report.svg);
      chartCaption.textContent =
        "The drill report's step timeline (run start = 0), as in the HTML report; updated with each event.";
      if (reportLink.href) URL.revokeObjectURL(reportLink.href);
      reportLink.href = URL.createObjectURL(new Blob([report.html], { type: "text/html" }));
      reportLink.hidden = false;
    } catch (err) {
      if (signal.aborted || isAbort(err)) return;
      chart.dataset.source = "steps";
      replace(chart, timelineChart(run, Date.now()));
      chartCaption.textContent = `Each step from its start to its finish, drawn by this page from the run's step timestamps (the drill report's chart is unavailable: ${problemText(err)}).`;
    }
  };
  signal.addEventListener("abort", () => reportLink.href && URL.revokeObjectURL(reportLink.href), {
    once: true,
  });

  const loadAudit = async () => {
    try {
      /** @type {AuditEntry[]} */
      const items = (await api(`/v1/audit?runId=${encodeURIComponent(id)}&limit=1000`, { signal })).items;
      replace(auditBody, ...items.map(auditRow));
      auditError.textContent = "";
    } catch (err) {
      if (!signal.aborted && !isAbort(err))
        auditError.textContent = `Could not load the audit trail: ${problemText(err)}`;
    }
  };

  let inFlight = false;
  let again = false;
  const refresh = async () => {
    if (inFlight) return void (again = true);
    inFlight = true;
    try {
      do {
        again = false;
        run = await api(`/v1/runs/${id}`, { signal });
        for (const s of run.steps) {
          if (stepStates.get(s.id) !== s.state) announce(`Step ${s.id}: ${stateInfo(s.state).label}`);
        }
        if (run.state !== runState) announce(`Run ${stateInfo(run.state).label}`);
        stepStates = new Map(run.steps.map((s) => [s.id, s.state]));
        runState = run.state;
        render();
        await Promise.all([loadAudit(), loadChart()]);
      } while (again && !signal.aborted);
    } catch (err) {
      if (!signal.aborted && !isAbort(err))
        streamStatus.textContent = `Could not refresh the run: ${problemText(err)}`;
    } finally {
      inFlight = false;
    }
  };

  render();
  void loadAudit();
  void loadChart();

  // Durations and bars of running steps grow with the clock between events.
  void (async () => {
    while (!signal.aborted) {
      await sleep(1_000, signal);
      if (!signal.aborted && !isTerminal(run.state)) render();
    }
  })();

  const token = getToken();
  if (!token) return;
  let count = 0;
  followEvents(`/v1/runs/${encodeURIComponent(id)}/events`, {
    token,
    signal,
    onStatus: (state, detail) => {
      streamStatus.textContent =
        state === "open"
          ? "Live: following the run's events."
          : state === "connecting"
            ? "Connecting to live events…"
            : `Reconnecting (resuming after the last event seen)${detail ? `: ${detail}` : ""}…`;
      streamStatus.dataset.state = state;
    },
    onMessage: (msg) => {
      /** @type {RunEvent | undefined} */
      let e;
      try {
        e = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (!e) return;
      count++;
      eventsList.prepend(eventItem(e, msg.id));
      while (eventsList.children.length > 500) eventsList.lastElementChild?.remove();
      void refresh();
    },
    onEnd: () => {
      streamStatus.textContent = `Run finished; the stream ended after ${count} events.`;
      streamStatus.dataset.state = "ended";
      void refresh();
    },
  }).catch((err) => {
    if (signal.aborted || isAbort(err)) return;
    streamStatus.textContent = `Live events unavailable: ${problemText(err)}`;
    streamStatus.dataset.state = "error";
  });
}

/**
 * @param {HTMLElement} banner
 * @param {Run} run
 */
function renderBreakGlass(banner, run) {
  const records = run.breakGlass ?? [];
  banner.hidden = records.length === 0;
  replace(
    banner,
    ...records.map((b) =>
      h(
        "p",
        {},
        h("strong", {}, "BREAK GLASS"),
        ` — ${b.by} approved step ${b.stepId} without a second person at ${utc(b.at)}: “${b.reason}”`,
      ),
    ),
  );
}

/**
 * The waiting run's request: how many approvals are given and needed, who may still give one.
 * @param {NonNullable<Run["approval"]>} a
 */
function approvalText(a) {
  const given = a.approvedBy.length > 0 ? ` (by ${a.approvedBy.join(", ")})` : "";
  const notBy = a.requestedBy ? `, not the requester ${a.requestedBy}` : "";
  const expires = a.expiresAt ? `; ${a.expired ? "expired" : "expires"} ${utc(a.expiresAt)}` : "";
  return (
    `${a.approvedBy.length} of ${a.required} given${given}, ${a.remaining} more needed at step ${a.stepId}; ` +
    `may approve: ${a.roles.join(" or ")} role${notBy}` +
    `${a.eligible.length > 0 ? ` (${a.eligible.join(", ")})` : ""}${expires}`
  );
}

/**
 * @param {HTMLElement} dl
 * @param {Run} run
 * @param {number} now
 */
function renderSummary(dl, run, now) {
  /** @type {[string, import("./dom.js").Child][]} */
  const rows = [
    ["State", badge(run.state, "big")],
    ["Runbook", run.runbook.metadata.name],
    ["Mode", run.dryRun ? "dry-run (plans only, changes nothing)" : h("strong", {}, "real run")],
    ["Trigger", run.trigger],
    ["Requested by", run.requestedBy ?? "—"],
    ["Reason", run.reason ?? "—"],
    ["Created", utc(run.createdAt)],
    ["Started", utc(run.startedAt)],
    ["Finished", utc(run.finishedAt)],
    [
      "Duration",
      `${duration(span(run.startedAt, run.finishedAt, now))}${run.finishedAt ? "" : run.startedAt ? " so far" : ""}`,
    ],
    ["Targets", run.targets.length > 0 ? run.targets.join(", ") : "none (dry-runs lock nothing)"],
  ];
  if (run.approval) rows.push(["Approval", h("span", { id: "approval-status" }, approvalText(run.approval))]);
  if (run.revertOf)
    rows.push(["Reverts", h("a", { href: `#/runs/${run.revertOf}`, class: "mono" }, run.revertOf)]);
  if (run.cancelRequest)
    rows.push(["Cancel requested", `by ${run.cancelRequest.by ?? "?"} at ${utc(run.cancelRequest.at)}`]);
  if (run.error)
    rows.push(["Error", h("span", { class: "problem" }, `${run.error.code}: ${run.error.message}`)]);
  replace(dl, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/**
 * @param {StepRecord} s
 * @param {number} now
 */
function stepItem(s, now) {
  // A gate parks its step while the approval is pending: say that, not "planning".
  const shown = s.approval?.status === "pending" && !isTerminal(s.state) ? "waiting_approval" : s.state;
  const info = stateInfo(shown);
  const t = s.timings ?? {};
  const timings = [
    t.planMs !== undefined ? `plan ${duration(t.planMs)}` : "",
    t.applyMs !== undefined ? `apply ${duration(t.applyMs)}` : "",
    t.verifyMs !== undefined ? `verify ${duration(t.verifyMs)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  const changes = s.plan?.changes ?? [];
  const took = span(s.startedAt, s.finishedAt, now);
  return h(
    "li",
    { class: `step tone-${info.tone}`, id: `step-${s.id}`, "data-state": s.state },
    h(
      "div",
      { class: "step-head" },
      h("h3", {}, s.id),
      h("code", { class: "uses" }, s.uses),
      badge(shown),
      h(
        "span",
        { class: "dur" },
        took === undefined ? "not started" : `${duration(took)}${s.finishedAt ? "" : " so far"}`,
      ),
      s.attempt > 1 ? h("span", { class: "muted" }, `attempt ${s.attempt}`) : null,
    ),
    timings ? h("p", { class: "timings muted" }, timings) : null,
    s.approval
      ? h(
          "p",
          { class: `approval approval-${s.approval.status}` },
          `Approval ${s.approval.status}`,
          s.approval.message ? ` — “${s.approval.message}”` : "",
          s.approval.by ? ` — by ${s.approval.by}` : "",
          s.approval.at ? ` at ${utc(s.approval.at)}` : "",
          s.approval.comment ? ` (${s.approval.comment})` : "",
        )
      : null,
    s.skipReason ? h("p", {}, `Skipped: ${s.skipReason}`) : null,
    s.error
      ? h(
          "p",
          { class: "problem" },
          `${s.error.code}: ${s.error.message}${s.error.retryable ? " (retryable)" : ""}`,
        )
      : null,
    s.plan
      ? changes.length > 0
        ? h(
            "ul",
            { class: "changes", "aria-label": `Planned changes of ${s.id}` },
            ...changes.map((c) => h("li", {}, h("code", {}, changeLine(c)))),
          )
        : h("p", { class: "muted" }, "Plan: no changes.")
      : null,
  );
}

/**
 * @param {RunEvent} e
 * @param {string | undefined} id
 */
function eventItem(e, id) {
  const parts = [
    e.type,
    e.stepId ? `step ${e.stepId}` : "",
    e.from || e.to ? `${e.from ?? "?"} → ${e.to ?? "?"}` : "",
  ];
  return h(
    "li",
    { "data-event-id": id ?? "", "data-type": e.type },
    h("time", { datetime: new Date(e.at).toISOString() }, utc(e.at)),
    " ",
    parts.filter(Boolean).join(" · "),
    e.actor ? ` · by ${e.actor}` : "",
  );
}

/** @param {AuditEntry} a */
function auditRow(a) {
  const data = Object.keys(a.data).length > 0 ? value(a.data) : "";
  return h(
    "tr",
    { "data-action": a.action },
    h("td", { class: "num" }, a.seq),
    h("td", {}, h("time", { datetime: a.at }, utc(a.at))),
    h("td", {}, a.actor),
    h("td", {}, a.action),
    h("td", {}, a.stepId ?? "—"),
    h("td", { class: "details" }, data.length > 400 ? `${data.slice(0, 397)}…` : data),
  );
}

/**
 * The approve / reject / cancel buttons. They exist for every caller but are hidden unless the
 * caller's roles allow them and the run's state takes them; the API checks again either way.
 * Reject and cancel ask for a second click, so a slip on a phone does not stop a failover.
 * @param {string} id
 * @param {WhoAmI} who
 * @param {() => void} done
 */
function actionPanel(id, who, done) {
  const comment = h("input", { id: "action-comment", maxlength: 1000, autocomplete: "off" });
  const commentField = h(
    "div",
    { class: "field" },
    h("label", { for: "action-comment" }, "Comment or reason (recorded in the audit log)"),
    comment,
  );
  const approve = h("button", { type: "button", id: "approve", class: "primary" }, "Approve");
  const reject = h("button", { type: "button", id: "reject", class: "danger" }, "Reject");
  const cancel = h("button", { type: "button", id: "cancel", class: "danger" }, "Cancel run");
  const note = h("p", { id: "actions-note", class: "muted" });
  const error = h("p", { id: "action-error", class: "problem", role: "alert" });
  const result = h("p", { id: "action-result", role: "status" });
  /** @type {Map<HTMLButtonElement, string>} */
  const labels = new Map([
    [approve, "Approve"],
    [reject, "Reject"],
    [cancel, "Cancel run"],
  ]);
  /** @type {HTMLButtonElement | undefined} */
  let armed;
  /** @type {Run | undefined} The run as last shown: what an approval is about. */
  let shown;
  const disarm = () => {
    if (armed) armed.textContent = labels.get(armed) ?? "";
    armed = undefined;
  };

  /**
   * @param {HTMLButtonElement} button
   * @param {"approve" | "reject" | "cancel"} verb
   * @param {string} past
   * @param {boolean} confirm
   */
  const wire = (button, verb, past, confirm) => {
    button.addEventListener("click", () => {
      if (confirm && armed !== button) {
        disarm();
        armed = button;
        button.textContent = `Confirm: ${labels.get(button)?.toLowerCase()}`;
        result.textContent = `Press “${button.textContent}” again to ${verb} run ${id}.`;
        return;
      }
      disarm();
      error.textContent = "";
      result.textContent = "";
      const text = comment.value.trim();
      /** @type {Record<string, string>} */
      const body = text ? (verb === "cancel" ? { reason: text } : { comment: text }) : {};
      // The approval is bound to the plan this page shows: refused (409) if the run moved on since.
      if (verb === "approve" && shown?.approval?.planHash) body.planHash = shown.approval.planHash;
      for (const b of labels.keys()) b.disabled = true;
      api(`/v1/runs/${encodeURIComponent(id)}/${verb}`, { method: "POST", body }).then(
        () => {
          result.textContent = `${past} by ${who.actor}.`;
          comment.value = "";
          for (const b of labels.keys()) b.disabled = false;
          done();
        },
        (err) => {
          for (const b of labels.keys()) b.disabled = false;
          error.textContent = `Refused — ${problemText(err)}`;
        },
      );
    });
  };
  wire(approve, "approve", "Approved", false);
  wire(reject, "reject", "Rejected", true);
  wire(cancel, "cancel", "Cancel requested", true);

  const section = h(
    "section",
    { "aria-labelledby": "actions-heading", id: "actions", class: "actions" },
    h("h2", { id: "actions-heading" }, "Actions"),
    note,
    commentField,
    h("div", { class: "buttons" }, approve, reject, cancel),
    error,
    result,
  );

  /** @param {Run} run */
  const update = (run) => {
    shown = run;
    const waiting = run.state === "waiting_approval";
    const open = !isTerminal(run.state);
    approve.hidden = !(who.can.approve && waiting);
    reject.hidden = !(who.can.reject && waiting);
    cancel.hidden = !(who.can.cancel && open);
    if (armed?.hidden) disarm();
    const any = !approve.hidden || !reject.hidden || !cancel.hidden;
    commentField.hidden = !any;
    const roles = who.roles.join(", ") || "no roles";
    note.textContent = any
      ? waiting
        ? "This run waits for an approval."
        : ""
      : !open
        ? `The run has finished (${stateInfo(run.state).label}); nothing to do.`
        : waiting && !who.can.approve
          ? `This run waits for an approval; your roles (${roles}) cannot approve or reject it.`
          : `Your roles (${roles}) allow no command on this run now.`;
  };
  return { section, update };
}

// ---------------------------------------------------------------------------------------------

void route();
