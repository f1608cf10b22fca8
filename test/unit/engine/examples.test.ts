// The example runbooks validate against the built-in registry and an environment config, and run
// as dry-runs end to end.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { parseRunbook } from "../../../src/engine/runbook/parse-runbook.js";
import { formatProblem } from "../../../src/engine/runbook/problem.js";
import { targetsFromConfig } from "../../../src/engine/target-catalog.js";
import { createStepRegistry } from "../../../src/steps/registry.js";
import { FakeHttp, harness } from "./fixtures.js";

const DIR = "runbooks/examples";
const targets = targetsFromConfig(
  parseConfig(`apiVersion: switchover/v1
kind: Environment
http:
  allow: ["http://127.0.0.1:8080/hooks/"]
`),
);

describe("example runbooks", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
  it("exist", () => expect(files.length).toBeGreaterThanOrEqual(2));

  it.each(files)("%s validates", (file) => {
    const path = join(DIR, file);
    const result = parseRunbook(readFileSync(path, "utf8"), {
      file: path,
      catalog: createStepRegistry(),
      targets,
    });
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it("game-day-preflight dry-runs with the status read feeding the assertion", async () => {
    const http = new FakeHttp(() => ({ status: 200, body: { lag: 12, inFlight: 0 } }));
    const h = harness({ http, targets });
    const text = readFileSync(join(DIR, "game-day-preflight.yaml"), "utf8");
    const created = await h.engine.createRun({
      runbook: h.runbook(text),
      params: { environment: "production" },
    });
    const run = await h.engine.execute(created.id);
    expect(run.state).toBe("succeeded");
    expect(run.steps.map((s) => s.state)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET http://127.0.0.1:8080/hooks/status",
    ]);
  });

  it("notify-on-drift stops on drift after reporting it", async () => {
    const http = new FakeHttp(() => ({ status: 204, body: "" }));
    const h = harness({ http, targets });
    const text = readFileSync(join(DIR, "notify-on-drift.yaml"), "utf8");
    const created = await h.engine.createRun({
      runbook: h.runbook(text),
      dryRun: false,
      params: { drillRun: "r-9", drifted: true, changedSteps: ["repoint"] },
    });
    const run = await h.engine.execute(created.id);
    expect(run.state).toBe("failed");
    expect(run.error?.message).toBe("the scheduled drill drifted from the previous one; review its plan");
    expect(http.requests[0]?.body).toMatchObject({
      severity: "critical",
      message: 'Drill r-9: drifted=true steps=["repoint"]',
    });
  });
});
