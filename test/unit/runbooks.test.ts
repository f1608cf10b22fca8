// The runbook library (runbooks/*.yaml) parses and validates against the real step registry and the
// sandbox environment's targets, and every runbook opens with a header saying when to use it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { parseRunbook } from "../../src/engine/runbook/parse-runbook.js";
import { formatProblem } from "../../src/engine/runbook/problem.js";
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
