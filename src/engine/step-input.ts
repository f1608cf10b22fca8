// A step's input: its `with` resolved against the run's scope (unless literal) and parsed by the
// kind's schema, every problem named by its path. Secrets a `with` references are read as the step
// runs; the record keeps the input with their values masked, and apply and verify resolve it again.
import { canonicalHash } from "./canonical-hash.js";
import { ErrorCode, SwitchoverError } from "./errors.js";
import { resolveTree } from "./expression/template.js";
import type { JsonValue } from "./json.js";
import { maskDeep } from "./mask.js";
import type { SecretSource } from "./ports/secret-source.js";
import type { RunRecord } from "./run-record.js";
import type { StepSpec } from "./runbook/model.js";
import { zodMessage } from "./runbook/validate-runbook.js";
import { scopeOf } from "./scope.js";
import type { AnyStep } from "./step-contract.js";
import type { TargetCatalog } from "./target-catalog.js";

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;
const SECRET_REF = /\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g;

export interface ResolvedInput {
  /** What the step is called with. */
  value: unknown;
  /** What the run record keeps: `value` with every secret value it carries masked. */
  recorded: JsonValue;
}

export class StepInputs {
  private readonly schemas = new WeakMap<AnyStep, ReturnType<AnyStep["input"]>>();

  constructor(
    private readonly targets: TargetCatalog,
    private readonly secrets?: SecretSource,
  ) {}

  resolve(run: RunRecord, spec: StepSpec, def: AnyStep): ResolvedInput {
    const secrets = spec.literal ? {} : this.readSecrets(spec);
    const raw = spec.literal ? spec.with : resolveTree(spec.with, { ...scopeOf(run), secrets });
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
    return { value: parsed.data, recorded: this.mask(parsed.data) as JsonValue };
  }

  /**
   * The input apply and verify call the step with. Without secrets, the recorded one; with, the
   * input resolved again, which must mask to what the plan recorded (else the step drifted).
   */
  forApply(run: RunRecord, spec: StepSpec, def: AnyStep, recorded: JsonValue | undefined): unknown {
    if (spec.literal || !referencesSecrets(spec)) return recorded;
    const again = this.resolve(run, spec, def);
    if (canonicalHash(again.recorded) !== canonicalHash(recorded ?? null)) {
      throw new SwitchoverError(
        ErrorCode.PlanDrift,
        `step ${spec.id}: its input changed between plan and apply; retry the run to plan it again`,
      );
    }
    return again.value;
  }

  /** `value` as the record may keep it: the secret values read by this process masked. */
  mask<T>(value: T): T {
    const source = this.secrets;
    return source ? maskDeep(value, (t) => source.mask(t)) : value;
  }

  private readSecrets(spec: StepSpec): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of referencedSecrets(spec)) {
      if (!this.secrets || !this.targets.secrets.includes(name)) {
        throw new SwitchoverError(
          ErrorCode.StepInputInvalid,
          `step ${spec.id} reads secrets.${name}, which the environment does not define`,
        );
      }
      try {
        out[name] = this.secrets.read(name);
      } catch (err) {
        // The reference's own message names the env var or file, never a value.
        throw new SwitchoverError(
          ErrorCode.Configuration,
          `step ${spec.id} reads secrets.${name}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
    return out;
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

function referencedSecrets(spec: StepSpec): Set<string> {
  const names = new Set<string>();
  const text = JSON.stringify(spec.with ?? {});
  for (const t of text.matchAll(TEMPLATE)) for (const m of t[1]!.matchAll(SECRET_REF)) names.add(m[1]!);
  return names;
}

function referencesSecrets(spec: StepSpec): boolean {
  return referencedSecrets(spec).size > 0;
}
