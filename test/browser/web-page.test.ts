// The web page in real headless Chromium (Debian's, driven by playwright-core) against the real
// service: the API on an ephemeral port, the sandbox's Redis, the real worker. Screenshots go to
// test-results/browser/ (git-ignored) as artifacts of each scenario.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import request from "supertest";
import { errorHandler } from "../../src/api/error-handler.js";
import { webDir, webRoutes } from "../../src/api/routes/web-routes.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import { call } from "../api/contract.js";
import { eventually, startHarness } from "../api/harness.js";
import type { Harness, TokenName } from "../api/harness.js";

const CHROMIUM = process.env.SWITCHOVER_CHROMIUM ?? "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../..");
export const ARTIFACTS = join(ROOT, "test-results", "browser");
/** Bounded waits for outcomes on a loaded 2-core machine. */
const UI_TIMEOUT = 30_000;

let h: Harness;
let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness();
  server = h.service.app.listen(0, "127.0.0.1");
  await new Promise<void>((ok, fail) => server.once("listening", ok).once("error", fail));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  // Open event streams would hold close() forever.
  server?.closeAllConnections();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  await h?.close();
});

interface Session {
  page: Page;
  /** Page errors and CSP refusals seen so far: a healthy page has none. */
  faults: string[];
  loads: () => number;
}

async function open(colorScheme: "dark" | "light" = "dark"): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  const faults: string[] = [];
  page.on("pageerror", (e) => faults.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Chromium logs every refused fetch as "Failed to load resource"; the tests expect some 403s.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) faults.push(m.text());
  });
  let loads = 0;
  page.on("load", () => loads++);
  await page.goto(`${base}/`);
  return { page, faults, loads: () => loads };
}

/** Opens the page and enters the token with the keyboard, as a person would. */
async function signIn(role: TokenName, colorScheme?: "dark" | "light"): Promise<Session> {
  const s = await open(colorScheme);
  await s.page.locator("#token").waitFor();
  await s.page.keyboard.type(h.tokens[role]);
  await s.page.keyboard.press("Enter");
  await s.page.locator("#who").waitFor({ state: "visible" });
  expect(await s.page.locator("#who-text").textContent()).toContain(role);
  return s;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function close(s: Session): Promise<void> {
  expect(s.faults).toEqual([]);
  await s.page.context().close();
}

async function runState(id: string): Promise<string> {
  const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
  return (res.body as { state: string }).state;
}

/** A real run of `gated` (started by the operator over the API), parked at its approval step. */
async function gatedRun(key: string): Promise<string> {
  const res = await call(h.service.app, "POST", "/v1/runbooks/gated/runs", {
    token: h.tokens.operator,
    body: { dryRun: false, params: { key }, reason: "browser test" },
  });
  expect(res.status, res.text).toBe(202);
  const id = (res.body as { id: string }).id;
  await eventually(
    async () => ((await runState(id)) === "waiting_approval" ? true : undefined),
    UI_TIMEOUT,
    `run ${id} waiting for approval`,
  );
  return id;
}

const runBadge = (page: Page, state: string) => page.locator(`#run-summary .badge[data-state="${state}"]`);

describe("the web page", () => {
  it("when / is fetched, then it is served with a strict CSP and loads nothing from elsewhere", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("set-cookie")).toBeNull();
    const js = await fetch(`${base}/app.js`);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    // Nothing from a CDN, no web fonts: the only absolute URL is the SVG namespace (a name, not a fetch).
    const dir = join(ROOT, "web");
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), "utf8").replaceAll("http://www.w3.org/2000/svg", "");
      expect(text, f).not.toMatch(/https?:\/\/|@import|url\(/);
    }
    // The page does not shadow the API: unknown paths stay problem+json 404s.
    const missing = await fetch(`${base}/no-such-file.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("when the assets are looked up, then they are found from any build, or / says they are missing", async () => {
    expect(webDir({})).toBe(join(ROOT, "web"));
    expect(webDir({ SWITCHOVER_WEB_DIR: "/srv/switchover-web" })).toBe("/srv/switchover-web");
    const bare = express().use(webRoutes(undefined)).use(errorHandler(MemoryLogger.silent()));
    const res = await request(bare).get("/");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect((res.body as { detail: string }).detail).toContain("SWITCHOVER_WEB_DIR");
  });

  it("when a wrong token is entered, then the page says the API refused it and asks again", async () => {
    const s = await open();
    await s.page.locator("#token").fill("so_wrong_token");
    await s.page.locator("#token").press("Enter");
    await expect
      .poll(() => s.page.locator("#login-error").textContent())
      .toContain("unknown or revoked token");
    expect(await s.page.locator("#token").evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await s.page.evaluate(() => sessionStorage.length)).toBe(0);
    await shot(s.page, "01-login-refused");
    await close(s);
  });

  it("when an operator starts a dry-run from the page, then the run page follows it to the end with its plan", async () => {
    const s = await signIn("operator");
    await s.page.locator("#start-runbook").selectOption("touch-dc1");
    await s.page.locator("#start-params").fill('{"key": "web-dry"}');
    await s.page.locator("#start-submit").click();
    await s.page.waitForURL(/#\/runs\/[A-Za-z0-9-]+$/);
    const id = new URL(s.page.url()).hash.slice("#/runs/".length);
    await runBadge(s.page, "succeeded").waitFor();
    await expect
      .poll(() => s.page.locator("#stream-status").getAttribute("data-state"), { timeout: UI_TIMEOUT })
      .toBe("ended");
    const touch = s.page.locator("#step-touch");
    expect(await touch.getAttribute("data-state")).toBe("succeeded");
    expect(await touch.locator(".changes li").allTextContents()).toEqual([
      "cluster/dc1 touch.web-dry: 0 → 1",
    ]);
    expect(await s.page.locator("#run-summary").textContent()).toContain("dry-run");
    // The live list holds every transition the API recorded, the last one the run's own.
    const types = await s.page
      .locator("#events li")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-type")));
    expect(types).toContain("step.transition");
    expect(types[0]).toBe("run.transition");
    await expect
      .poll(() =>
        s.page.locator("#audit-body tr").evaluateAll((r) => r.map((e) => e.getAttribute("data-action"))),
      )
      .toContain("run.created");
    // The drill report's own chart (server-rendered SVG), fetched with the token.
    const chart = s.page.locator("#timeline-chart");
    await expect.poll(() => chart.getAttribute("data-source")).toBe("report");
    await expect
      .poll(() => chart.locator('svg g.step[data-step="touch"]').getAttribute("data-state"))
      .toBe("succeeded");
    expect(await chart.locator("svg g.step").count()).toBe(2);
    expect(await chart.locator("svg").getAttribute("role")).toBe("img");
    const [download] = await Promise.all([
      s.page.waitForEvent("download"),
      s.page.locator("#report-download").click(),
    ]);
    expect(download.suggestedFilename()).toBe(`switchover-report-${id}.html`);
    const saved = readFileSync(await download.path(), "utf8");
    expect(saved).toContain("<svg");
    expect(saved).toContain(id);
    await shot(s.page, "02-dry-run-finished");
    // A dry-run changes nothing.
    expect(await h.touches("web-dry")).toBe(0);
    const api = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
    expect((api.body as { dryRun: boolean }).dryRun).toBe(true);
    await close(s);
  });

  it("when an operator starts a real run, then the page shows it applying and then succeeding, live", async () => {
    const s = await signIn("operator");
    await s.page.locator("#start-runbook").selectOption("hold");
    await s.page.locator("#start-params").fill('{"key": "web-live", "holdMs": 4000}');
    await s.page.locator("#start-dry").uncheck();
    expect(await s.page.locator("#start-submit").textContent()).toBe("Start REAL run");
    // A real run needs a reason: the form says so before the API is asked.
    await s.page.locator("#start-submit").click();
    expect(
      await s.page.locator("#start-reason").evaluate((el: HTMLInputElement) => el.validity.valueMissing),
    ).toBe(true);
    await s.page.locator("#start-reason").fill("browser test: live timeline");
    await s.page.locator("#start-submit").click();
    await s.page.waitForURL(/#\/runs\//);
    await s.page.locator('#step-touch[data-state="applying"]').waitFor();
    expect(await s.page.locator("#run-summary .badge").getAttribute("data-state")).toBe("running");
    await shot(s.page, "03-real-run-applying");
    await runBadge(s.page, "succeeded").waitFor();
    expect(await s.page.locator("#step-after").getAttribute("data-state")).toBe("succeeded");
    // It all arrived over the event stream: the document was loaded once, never reloaded.
    expect(s.loads()).toBe(1);
    await expect.poll(() => s.page.locator("#announcer").textContent()).toBe("Run succeeded");
    expect(await h.touches("web-live")).toBe(1);
    await shot(s.page, "04-real-run-succeeded");
    await close(s);
  });

  describe("a run waiting for approval", () => {
    let gated: string;
    beforeAll(async () => {
      gated = await gatedRun("web-gate");
    });

    it("when a viewer opens it, then there is no approve button, and a forced approve shows the 403", async () => {
      const s = await signIn("viewer");
      await s.page.goto(`${base}/#/runs/${gated}`);
      await runBadge(s.page, "waiting_approval").waitFor();
      expect(await s.page.locator("#approve").isVisible()).toBe(false);
      expect(await s.page.locator("#reject").isVisible()).toBe(false);
      expect(await s.page.locator("#cancel").isVisible()).toBe(false);
      expect(await s.page.locator("#actions-note").textContent()).toContain("cannot approve");
      // Someone un-hides the button (devtools, a stale page): the API refuses and the page says why.
      // (Un-hidden and pressed at once: the page re-hides it on its next render, as it should.)
      await s.page.locator("#approve").evaluate((el: HTMLButtonElement) => {
        el.hidden = false;
        el.click();
      });
      await expect.poll(() => s.page.locator("#action-error").textContent()).toContain("403 Forbidden");
      expect(await s.page.locator("#action-error").textContent()).toContain("needs one of: approver, admin");
      expect(await s.page.locator("#action-error").getAttribute("role")).toBe("alert");
      await shot(s.page, "05-viewer-refused");
      expect(await runState(gated)).toBe("waiting_approval");
      await close(s);
    });

    it("when an approver uses only the keyboard, then Tab reaches Approve and Enter approves it", async () => {
      const s = await signIn("approver", "light");
      // From the runs list to the run, by keyboard: the newest run is the gated one.
      const link = s.page.locator(`a[href="#/runs/${gated}"]`);
      await link.waitFor();
      for (let i = 0; i < 40 && !(await link.evaluate((el) => el === document.activeElement)); i++) {
        await s.page.keyboard.press("Tab");
      }
      expect(await link.evaluate((el) => el === document.activeElement)).toBe(true);
      await s.page.keyboard.press("Enter");
      await runBadge(s.page, "waiting_approval").waitFor();
      await s.page.locator("#approve").waitFor({ state: "visible" });
      const approve = s.page.locator("#approve");
      let tabs = 0;
      while (tabs < 40 && !(await approve.evaluate((el) => el === document.activeElement))) {
        await s.page.keyboard.press("Tab");
        tabs++;
      }
      expect(await approve.evaluate((el) => el === document.activeElement), `after ${tabs} tabs`).toBe(true);
      expect(await approve.evaluate((el) => el.tagName)).toBe("BUTTON");
      // Keyboard focus is visible: the outline of :focus-visible is drawn.
      expect(await approve.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe("solid");
      await shot(s.page, "06-approver-focus-on-approve");
      await s.page.keyboard.press("Enter");
      await expect.poll(() => s.page.locator("#action-result").textContent()).toBe("Approved by approver.");
      await runBadge(s.page, "succeeded").waitFor();
      expect(await s.page.locator("#step-go .approval").textContent()).toContain("approved — by approver");
      await expect
        .poll(() =>
          s.page.locator("#audit-body tr").evaluateAll((r) => r.map((e) => e.getAttribute("data-action"))),
        )
        .toContain("step.approval");
      expect(await s.page.locator("#approve").isVisible()).toBe(false);
      expect(await h.touches("web-gate")).toBe(1);
      await shot(s.page, "07-approved-and-finished");
      await close(s);
    });
  });

  it("when an approver rejects, then it takes a second, confirming press and the run stops", async () => {
    const id = await gatedRun("web-reject");
    const s = await signIn("approver");
    await s.page.goto(`${base}/#/runs/${id}`);
    await s.page.locator("#reject").waitFor({ state: "visible" });
    await s.page.locator("#action-comment").fill("not during the freeze");
    await s.page.locator("#reject").click();
    expect(await s.page.locator("#reject").textContent()).toBe("Confirm: reject");
    expect(await runState(id)).toBe("waiting_approval");
    await s.page.locator("#reject").click();
    await eventually(
      async () => ((await runState(id)) === "failed" ? true : undefined),
      UI_TIMEOUT,
      "rejected run",
    );
    await runBadge(s.page, "failed").waitFor();
    expect(await s.page.locator("#step-go .approval").textContent()).toContain("not during the freeze");
    expect(await h.touches("web-reject")).toBe(0);
    await close(s);
  });

  it("when an operator cancels a waiting run, then it is cancelled after the confirming press", async () => {
    const id = await gatedRun("web-cancel");
    const s = await signIn("operator");
    await s.page.goto(`${base}/#/runs/${id}`);
    await s.page.locator("#cancel").waitFor({ state: "visible" });
    expect(await s.page.locator("#approve").isVisible()).toBe(false);
    await s.page.locator("#cancel").click();
    await s.page.locator("#cancel").click();
    await runBadge(s.page, "cancelled").waitFor();
    expect(await s.page.locator("#cancel").isVisible()).toBe(false);
    expect(await h.touches("web-cancel")).toBe(0);
    await close(s);
  });

  it("when a run waits, then its Approval row says who may approve; after an admin breaks glass, a banner says so", async () => {
    const id = await gatedRun("web-break-glass");
    const s = await signIn("viewer");
    await s.page.goto(`${base}/#/runs/${id}`);
    const row = s.page.locator("#approval-status");
    await row.waitFor();
    expect(await row.textContent()).toMatch(
      /0 of 1 given, 1 more needed at step go; may approve: approver or admin role, not the requester operator/,
    );
    expect(await s.page.locator("#break-glass").isVisible()).toBe(false);
    const reason = "dc1 is gone and nobody answers";
    const res = await call(h.service.app, "POST", `/v1/runs/${id}/approve`, {
      token: h.tokens.admin,
      body: { breakGlass: true, reason },
    });
    expect(res.status, res.text).toBe(200);
    const banner = s.page.locator("#break-glass");
    await banner.waitFor({ state: "visible" });
    expect(await banner.textContent()).toContain(
      `BREAK GLASS — admin approved step go without a second person`,
    );
    expect(await banner.textContent()).toContain(reason);
    await runBadge(s.page, "succeeded").waitFor();
    await shot(s.page, "08-break-glass-banner");
    await close(s);
  });

  it("when the list is filtered by state and runbook, then it shows only those runs and keeps the filter in the URL", async () => {
    const s = await signIn("viewer");
    await s.page.locator("tr[data-run]").first().waitFor();
    await s.page.locator("#filter-runbook").selectOption("gated");
    await s.page.waitForURL(/runbook=gated/);
    await s.page.locator("#filter-state").selectOption("cancelled");
    await s.page.waitForURL(/state=cancelled/);
    await expect
      .poll(async () => {
        const rows = await s.page.locator("tr[data-run]").all();
        const texts = await Promise.all(rows.map((r) => r.textContent()));
        return texts.length > 0 && texts.every((t) => t?.includes("gated") && t.includes("cancelled"));
      })
      .toBe(true);
    const viaApi = await call(h.service.app, "GET", "/v1/runs?runbook=gated&state=cancelled", {
      token: h.tokens.viewer,
    });
    expect(await s.page.locator("tr[data-run]").count()).toBe(
      (viaApi.body as { items: unknown[] }).items.length,
    );
    // The filter survives a reload: it lives in the URL, the token in sessionStorage.
    await s.page.reload();
    await s.page.locator("tr[data-run]").first().waitFor();
    expect(await s.page.locator("#filter-state").inputValue()).toBe("cancelled");
    await shot(s.page, "08-runs-filtered");
    await close(s);
  });

  it("when the event stream drops mid-run, then the page resumes with Last-Event-ID and shows each event once", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "web-resume" } },
    });
    const id = (res.body as { id: string }).id;
    await eventually(
      async () => ((await runState(id)) === "succeeded" ? true : undefined),
      UI_TIMEOUT,
      "dry-run",
    );
    const s = await signIn("viewer");
    const streams: Request[] = [];
    let full = "";
    await s.page.route(`**/v1/runs/${id}/events`, async (route) => {
      streams.push(route.request());
      if (streams.length > 1) return route.continue();
      // The first connection delivers the first two events and then drops (no `end`).
      const whole = await route.fetch();
      full = await whole.text();
      const blocks = full.split("\n\n");
      await route.fulfill({
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: `${blocks.slice(0, 3).join("\n\n")}\n\n`.replace("retry: 2000", "retry: 200"),
      });
    });
    // And the report is refused: the page draws the timeline from the steps itself and says why.
    await s.page.route(`**/v1/runs/${id}/report`, (route) =>
      route.fulfill({
        status: 406,
        contentType: "application/problem+json",
        body: JSON.stringify({
          type: "urn:switchover:problem:not-acceptable",
          title: "Not acceptable",
          status: 406,
          detail: "no html here",
        }),
      }),
    );
    await s.page.goto(`${base}/#/runs/${id}`);
    await expect
      .poll(() => s.page.locator("#stream-status").getAttribute("data-state"), { timeout: UI_TIMEOUT })
      .toBe("ended");
    expect(await s.page.locator("#timeline-chart").getAttribute("data-source")).toBe("steps");
    expect(await s.page.locator("#timeline-chart svg.timeline rect").count()).toBe(2);
    expect(await s.page.locator("#timeline-caption").textContent()).toContain("no html here");
    expect(await s.page.locator("#report-download").isVisible()).toBe(false);
    expect(streams.length).toBe(2);
    const ids = [...full.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    expect(streams[0]!.headers()["last-event-id"]).toBeUndefined();
    expect(streams[1]!.headers()["last-event-id"]).toBe(ids[1]);
    const shown = await s.page
      .locator("#events li")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-event-id")).reverse());
    expect(shown).toEqual(ids);
    await close(s);
  });

  it("parses the event-stream format as the standard says, across any chunking", async () => {
    const s = await signIn("viewer");
    // Runs in the page, on the module the page itself loads (a string: the test's own
    // transpiled code must not be shipped into the browser).
    const out = await s.page.evaluate<unknown[]>(`(async () => {
      const { SseParser } = await import("/sse.js");
      const stream =
        "\\uFEFFretry: 1500\\r\\n: a comment\\r\\nid: 1-0\\r\\nevent: step.transition\\r\\ndata: {\\"a\\":1}\\r\\n\\r\\n" +
        "data: line one\\ndata: line two\\n\\n" +
        "id: 2-0\\nevent: ignored-without-data\\n\\n" +
        "data:no space\\rid: 3-0\\r\\r" +
        "event: end\\ndata: {}\\n\\n";
      const runs = [];
      for (const size of [1, 2, 3, 7, stream.length]) {
        const p = new SseParser();
        const got = [];
        for (let i = 0; i < stream.length; i += size) got.push(...p.feed(stream.slice(i, i + size)));
        runs.push({ got, retry: p.retry });
      }
      return runs;
    })()`);
    const expected = {
      retry: 1500,
      got: [
        { id: "1-0", event: "step.transition", data: '{"a":1}' },
        { id: "1-0", event: "message", data: "line one\nline two" },
        { id: "3-0", event: "message", data: "no space" },
        { id: "3-0", event: "end", data: "{}" },
      ],
    };
    for (const r of out) expect(r).toEqual(expected);
    await close(s);
  });

  it("cleans the report's SVG of anything that could run, link or load before showing it", async () => {
    const s = await signIn("viewer");
    const html = await s.page.evaluate<string | null>(`(async () => {
      const { chartFromReportHtml } = await import("/report-chart.js");
      const svg = chartFromReportHtml(
        '<!DOCTYPE html><html><head><style>body{color:red}</style></head><body><h1 style="x">r</h1><figure>' +
          '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">' +
          '<script>alert(2)</script><style>rect{fill:red}</style>' +
          '<g class="step"><rect width="5" height="5" fill="#2e7d32" onclick="alert(3)" style="fill:red"/></g>' +
          '<a href="javascript:alert(4)"><text>link</text></a><image href="http://example.invalid/x.png"/>' +
          '<foreignObject><div>html</div></foreignObject><text x="1" y="9">kept &amp; safe</text></svg>' +
          '</figure></body></html>',
      );
      return svg ? svg.outerHTML : null;
    })()`);
    // Parsing the hostile SVG may itself be reported as blocked by the CSP: those are the only faults.
    expect(s.faults.every((f) => f.includes("Content Security Policy") && f.includes("blocked"))).toBe(true);
    s.faults.length = 0;
    expect(html).toContain(">kept &amp; safe</text>");
    expect(html).toContain('<rect width="5" height="5" fill="#2e7d32">');
    expect(html).not.toMatch(/script|style|onload|onclick|href|foreignObject|image|alert|width="10"/);
    await close(s);
  });
});
