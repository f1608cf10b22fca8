// A step's input: its `with` resolved against the run's scope (unless literal) and parsed by the
// kind's schema, every problem named by its path.
import { ErrorCode, SwitchoverError } from "./errors.js";
import { resolveTree } from "./expression/template.js";
import type { RunRecord } from "./run-record.js";
import type { StepSpec } from "./runbook/model.js";
import { zodMessage } from "./runbook/validate-runbook.js";
import { scopeOf } from "./scope.js";
import type { AnyStep } from "./step-contract.js";
import type { TargetCatalog } from "./target-catalog.js";

export class StepInputs {
  private readonly schemas = new WeakMap<AnyStep, ReturnType<AnyStep["input"]>>();

  constructor(private readonly targets: TargetCatalog) {}

  resolve(run: RunRecord, spec: StepSpec, def: AnyStep): unknown {
    const raw = spec.literal ? spec.with : resolveTree(spec.with, scopeOf(run));
    const parsed = this.schemaOf(def).safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => ({
        path: ["with", ...i.path].join("."),
        message: zodMessage(i),
      }));
      throw new SwitchoverError(
        ErrorCode.StepInputInvalid,
        `step ${spec.id} input is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
        { details: { problems } },
      );
    }
    return parsed.data;
  }

  /** Input schemas are built once per kind: building (and zod's first-parse compile) is costly. */
  private schemaOf(def: AnyStep): ReturnType<AnyStep["input"]> {
    let schema = this.schemas.get(def);
    if (!schema) {
      schema = def.input(this.targets);
      this.schemas.set(def, schema);
    }
    return schema;
  }
}
