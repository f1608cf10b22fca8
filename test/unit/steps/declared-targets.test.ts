// Every step kind declares exactly the input fields its schema checks as configured names: a new
// target field that is not declared would be silently left unlocked, so this fails instead.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { emptyTargets } from "../../../src/engine/target-catalog.js";
import { targetRefKind } from "../../../src/engine/target-ref.js";
import type { TargetKind } from "../../../src/engine/target-ref.js";
import { consumerSteps } from "../../../src/steps/consumers/index.js";
import { dnsSteps } from "../../../src/steps/dns/index.js";
import { createStepRegistry } from "../../../src/steps/registry.js";

const steps = createStepRegistry([...dnsSteps, ...consumerSteps]).list();

describe("declared step targets", () => {
  it("covers every step kind", () => {
    expect(steps.length).toBeGreaterThanOrEqual(18);
  });

  it.each(steps.map((s) => [s.kind, s] as const))(
    "%s declares the fields its schema checks as names",
    (_kind, step) => {
      const schema = step.input(emptyTargets);
      expect(schema).toBeInstanceOf(z.ZodObject);
      const checked: Record<string, TargetKind> = {};
      for (const [field, fieldSchema] of Object.entries((schema as z.ZodObject).shape)) {
        const kind = targetRefKind(fieldSchema as z.ZodType);
        if (kind) checked[field] = kind;
      }
      expect(step.targets ?? {}).toEqual(checked);
    },
  );
});
