// The runbook library (runbooks/*.yaml) parses and validates against the real step registry and the
// sandbox environment's targets, and every runbook opens with a header saying when to use it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { parseRunbook } from "../../src/engine/runbook/parse-runbook.js";
import { resolveParams } from "../../src/engine/runbook/params.js";
import { parseRunbookOrThrow } from "../../src/engine/runbook/parse-runbook.js";
import { formatProblem } from "../../src/engine/runbook/problem.js";
import { runTargets, targetUniverse } from "../../src/runs/run-targets.js";
import { targetsFromConfig } from "../../src/engine/target-catalog.js";
import { consumerSteps } from "../../src/steps/consumers/index.js";
import { dnsSteps } from "../../src/steps/dns/index.js";
import { kafkaSteps } from "../../src/steps/kafka/index.js";
import { mirrorSteps } from "../../src/steps/mirror/index.js";
import { createStepRegistry } from "../../src/steps/registry.js";
import { sandboxEnvironment } from "../../sandbox/environment.js";
import { repoRoot } from "../../sandbox/lib/paths.js";

const dir = join(repoRoot, "runbooks");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

const registry = createStepRegistry();
for (const step of [...kafkaSteps, ...mirrorSteps, ...dnsSteps, ...consumerSteps])
  if (!registry.get(step.kind)) registry.register(step);
// Round-trip through the schema, as the service loads it.
const env = configSchema.parse(
  sandboxEnvironment({ root: repoRoot, state: "/sandbox-state", cache: "/sandbox-cache" }),
);
const targets = targetsFromConfig(env);

describe("runbooks/", () => {
  it("holds the DR library", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "gameday-mm2.yaml",
        "mm2-failback.yaml",
        "mm2-failover.yaml",
        "stretched-dc-loss.yaml",
        "stretched-failback.yaml",
      ]),
    );
  });

  describe.each(files)("%s", (file) => {
    const text = readFileSync(join(dir, file), "utf8");

    it("validates against the step registry and the sandbox targets", () => {
      const result = parseRunbook(text, { file: `runbooks/${file}`, catalog: registry, targets });
      expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
      if (result.ok) expect(`${result.runbook.metadata.name}.yaml`).toBe(file);
    });

    it("opens with a header comment: when to use it, params, what it changes", () => {
      const header = text
        .split("\n")
        .filter((l) => l.startsWith("#"))
        .join("\n");
      expect(header).toMatch(/use it/i);
      expect(header).toMatch(/params:/i);
      expect(header).toMatch(/changes:/i);
    });
  });
});

describe("what the DR library locks", () => {
  const universe = targetUniverse(env);
  const locks = (file: string, params: Record<string, unknown> = {}): string[] => {
    const runbook = parseRunbookOrThrow(readFileSync(join(dir, file), "utf8"), {
      catalog: registry,
      targets,
    });
    return runTargets(runbook, resolveParams(runbook.params, params), registry, universe, "run-1");
  };

  it("stretched-dc-loss locks its stretched cluster only: failedRack dc1 is a rack, not the cluster dc1", () => {
    expect(locks("stretched-dc-loss.yaml")).toEqual(["cluster:stretch"]);
    expect(locks("stretched-dc-loss.yaml", { action: "reassign", failedRack: "dc2" })).toEqual([
      "cluster:stretch",
    ]);
  });

  it("so it can run while an MM2 failover holds the replicated clusters, the day a DC is lost", () => {
    const failover = locks("mm2-failover.yaml");
    expect(failover).toEqual([
      "cluster:dc1",
      "cluster:dc2",
      "connect:dc2-connect",
      "consumers:orders-app",
      "dns:sandbox",
    ]);
    expect(locks("stretched-dc-loss.yaml").filter((t) => failover.includes(t))).toEqual([]);
  });

  // Issue 19: a group live on dc2 was refused only in apply-offsets, after the run had stopped
  // producers, paused consumers and fenced MM2, leaving MM2 paused until someone reverted.
  it("mm2-failover verifies every group's translation (and that it is idle on the standby) before its first change", () => {
    const book = parseRunbookOrThrow(readFileSync(join(dir, "mm2-failover.yaml"), "utf8"), {
      catalog: registry,
      targets,
    });
    const changing = new Set([
      "consumers.pause",
      "consumers.resume",
      "mirror.pause",
      "kafka.applyTranslatedOffsets",
      "dns.repoint",
    ]);
    const firstChange = book.steps.findIndex((st) => changing.has(st.uses));
    const verify = book.steps.findIndex((st) => st.uses === "kafka.verifyTranslatedOffsets");
    expect(verify).toBeGreaterThanOrEqual(0);
    expect(verify).toBeLessThan(firstChange);
    expect(book.steps[verify]!.when).toBeUndefined();
    expect((book.steps[verify]!.with as { targetIdle?: boolean }).targetIdle).not.toBe(false);
  });

  it("steps skipped on params lock nothing; the graceful mode adds its producer fleet", () => {
    expect(locks("mm2-failover.yaml", { mode: "graceful" })).toContain("consumers:orders-producers");
    expect(locks("mm2-failover.yaml")).not.toContain("consumers:orders-producers");
  });
});
