// One error model: a use case fails with a SwitchoverError, and the error handler answers each code
// with its one problem type (urn:switchover:problem:<code in kebab case>), code and status.
import { describe, expect, it } from "vitest";
import { toProblem } from "../../../src/api/error-handler.js";
import { ErrorCode, SwitchoverError } from "../../../src/engine/errors.js";
import { RunLocks } from "../../../src/queue/run-locks.js";
import { RunService } from "../../../src/runs/run-service.js";
import type { RunServiceDeps } from "../../../src/runs/run-service.js";

const operator = { name: "olga", roles: ["operator" as const] };

function service(overrides: Partial<RunServiceDeps>): RunService {
  return new RunService({
    engine: { get: async () => undefined },
    operatorRunbooks: ["*"],
    ...overrides,
  } as unknown as RunServiceDeps);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected the use case to fail");
    },
    (err: unknown) => err,
  );
}

describe("domain failures from the run use cases", () => {
  it("when the run does not exist, then NOT_FOUND answers as not-found with the code and the run id", async () => {
    const err = await failure(service({}).get("r-404"));
    expect(err).toBeInstanceOf(SwitchoverError);
    expect(toProblem(err).body).toMatchObject({
      type: "urn:switchover:problem:not-found",
      status: 404,
      code: "NOT_FOUND",
      runId: "r-404",
    });
  });

  it("when the token lacks the role, then FORBIDDEN answers as forbidden", async () => {
    const viewer = { name: "vic", roles: ["viewer" as const] };
    const runbooks = { get: async () => ({ valid: true, runbook: {}, file: "x.yaml", problems: [] }) };
    const err = await failure(
      service({ runbooks } as unknown as Partial<RunServiceDeps>).startRun(
        viewer,
        "orders",
        { dryRun: true },
        { trigger: "api" },
      ),
    );
    expect(toProblem(err).body).toMatchObject({
      type: "urn:switchover:problem:forbidden",
      status: 403,
      code: "FORBIDDEN",
    });
  });

  it("when a target is held, then TARGET_LOCKED answers as target-locked with the holder", async () => {
    const since = 1_764_669_600_000;
    const holder = { runId: "r-1", target: "cluster:dc2", since };
    const err = await failure(
      service({
        engine: { get: async () => ({ id: "r-2", state: "failed", dryRun: false }) },
        meta: { get: async () => ({ trigger: "api", targets: ["cluster:dc2"] }) },
        locks: new RunLocks({
          locks: {
            acquire: async () => ({ ok: false, holder: { ...holder, fence: 7 } }),
            release: async () => 0,
          },
          meta: { get: async () => ({ trigger: "api", targets: ["cluster:dc2"] }) },
          runs: { get: async () => undefined },
        }),
      } as unknown as Partial<RunServiceDeps>).retry(operator, "r-2", "again"),
    );
    expect(err).toBeInstanceOf(SwitchoverError);
    expect(toProblem(err).body).toMatchObject({
      type: "urn:switchover:problem:target-locked",
      status: 409,
      code: "TARGET_LOCKED",
      runId: "r-1",
      lockHolder: holder,
    });
  });

  it.each(Object.values(ErrorCode))("code %s has exactly one problem type, derived from the code", (code) => {
    const { body } = toProblem(new SwitchoverError(code, "x"));
    expect(body.type).toBe(`urn:switchover:problem:${code.toLowerCase().replace(/_/g, "-")}`);
    expect(body.code).toBe(code);
  });
});
