import { describe, expect, it } from "vitest";
import type { RunRecord, StepRecord } from "../engine/run-record.js";
import { recoveryOf } from "./run-report.js";

const step = (id: string, uses: string, outputs?: StepRecord["outputs"]): StepRecord => ({
  id,
  uses,
  state: "succeeded",
  attempt: 1,
  ...(outputs ? { outputs } : {}),
});

const run = (steps: StepRecord[]): RunRecord => ({ steps }) as unknown as RunRecord;

describe("recoveryOf", () => {
  it("takes the RPO from the verification step, not from a later step that measured again", () => {
    const r = recoveryOf(
      run([
        step("verify-offsets", "kafka.verifyTranslatedOffsets", {
          rpoMessages: null,
          rpoAgeMs: 7_700,
          reprocessWindow: 26,
          reprocessWindowExact: false,
        }),
        step("apply-offsets", "kafka.applyTranslatedOffsets", {
          rpoMessages: null,
          rpoAgeMs: 16_400,
          reprocessWindow: 20,
          reprocessWindowExact: false,
        }),
        step("repoint-dns", "dns.repoint"),
      ]),
    );
    expect(r).toMatchObject({ rpoAgeMs: 7_700, rpoMessages: null, rpoStepId: "verify-offsets" });
    // The reprocess window stays with the last step that measured it.
    expect(r).toMatchObject({ reprocessWindow: 20, reprocessStepId: "apply-offsets", reprocessExact: false });
  });

  it("takes the last verification when there are several (graceful: after the producers stopped)", () => {
    const r = recoveryOf(
      run([
        step("verify-offsets", "kafka.verifyTranslatedOffsets", { rpoMessages: 12, rpoAgeMs: null }),
        step("checkpoints-caught-up", "kafka.verifyTranslatedOffsets", { rpoMessages: 0, rpoAgeMs: null }),
        step("apply-offsets", "kafka.applyTranslatedOffsets", { rpoMessages: 3 }),
      ]),
    );
    expect(r).toMatchObject({ rpoMessages: 0, rpoAgeMs: null, rpoStepId: "checkpoints-caught-up" });
  });

  it("falls back to the last step that measured when no verification did", () => {
    const r = recoveryOf(
      run([
        step("verify-offsets", "kafka.verifyTranslatedOffsets", { rpoMessages: null, rpoAgeMs: null }),
        step("apply-offsets", "kafka.applyTranslatedOffsets", { rpoAgeMs: 4_000 }),
      ]),
    );
    expect(r).toMatchObject({ rpoAgeMs: 4_000, rpoStepId: "apply-offsets" });
    expect(recoveryOf(run([step("repoint-dns", "dns.repoint")])).rpoStepId).toBeNull();
  });
});
