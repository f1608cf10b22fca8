// `mirror.pause` and `mirror.resume`: put a flow's MM2 connectors (all, or some roles) into PAUSED or
// RUNNING through the Connect REST API; verify waits until the connector and its tasks report it.
import { z } from "zod";
import type { ConnectorStatus } from "../../adapters/kafka/connect-client.js";
import type { KafkaAdapter } from "../../adapters/kafka/kafka-adapter.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { AnyStep, StepPlan } from "../../engine/step-contract.js";
import { replicationFlowRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { connectorRoles, flowConnectors } from "./flow-connectors.js";
import type { ConnectorRole } from "./flow-connectors.js";
import { evaluateConnectorState } from "./evaluate-mirror-steps.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    flow: replicationFlowRef(t),
    /** Roles to act on; default every connector the flow declares. */
    connectors: z.array(z.enum(connectorRoles)).min(1).optional(),
    /** How long verify waits for the connector and its tasks to report the state. */
    settleMs: z.number().int().positive().max(300_000).default(30_000),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

/**
 * How the worker confirms a connector reached the state, or null. RUNNING: connector and every task.
 * PAUSED: every task paused is what stops replication; the connector's own state may lag when its
 * thread is blocked on a source cluster that is gone (MirrorSourceConnector keeps reporting RUNNING
 * while dc1 is down). Its target state is already PAUSED in the worker's config topic, so tasks it
 * (re)starts later start paused: the tasks' states are the confirmation.
 */
function confirmation(s: ConnectorStatus | null, state: string): string | null {
  if (s === null) return null;
  const tasksThere = s.tasks.every((t) => t.state === state);
  if (s.state === state && tasksThere) return "connector and tasks";
  if (state === "PAUSED" && tasksThere && s.state !== "FAILED")
    return s.tasks.length === 0
      ? `no tasks running (connector ${s.state})`
      : `tasks paused (connector ${s.state})`;
  return null;
}

/** Whether the flow's source cluster answers within a few seconds. */
async function reachable(kafka: KafkaAdapter, flow: string, signal: AbortSignal): Promise<boolean> {
  try {
    await kafka
      .cluster(kafka.flow(flow).source)
      .listTopics(AbortSignal.any([signal, AbortSignal.timeout(8_000)]));
    return true;
  } catch (err) {
    if (signal.aborted) throw err;
    return false;
  }
}

function connectorStateStep(kind: "mirror.pause" | "mirror.resume"): AnyStep {
  const desired = kind === "mirror.pause" ? "PAUSED" : "RUNNING";
  const opposite = kind === "mirror.pause" ? "mirror.resume" : "mirror.pause";
  return defineStep<Input, "kafka">({
    kind,
    description: `${desired === "PAUSED" ? "Pause" : "Resume"} a replication flow's MirrorMaker 2 connectors`,
    adapters: ["kafka"],
    targets: { flow: "replication flow" },
    input: inputSchema,
    evaluate: evaluateConnectorState,
    async plan(ctx, input): Promise<StepPlan> {
      const { connect, connectors } = flowConnectors(ctx.adapters.kafka, input.flow, input.connectors);
      const changes: StepPlan["changes"] = [];
      const roles: JsonObject = {};
      for (const c of connectors) {
        const s = await connect.status(c.name, ctx.signal);
        if (!s)
          throw new SwitchoverError(
            ErrorCode.NotFound,
            `connector ${c.name} (${c.role} of flow ${input.flow}) does not exist on Connect worker ${connect.name}`,
          );
        roles[c.name] = c.role;
        if (s.state !== desired)
          changes.push({
            resource: `${connect.name}/connector/${c.name}`,
            field: "state",
            from: s.state,
            to: desired,
          });
      }
      return { changes, outputs: { roles } };
    },
    async apply(ctx, plan, input) {
      const { connect } = flowConnectors(ctx.adapters.kafka, input.flow, input.connectors);
      const before: JsonObject = {};
      for (const c of plan.changes) {
        const name = c.resource.slice(c.resource.indexOf("/connector/") + "/connector/".length);
        const s = await connect.status(name, ctx.signal);
        if (s?.state === desired) continue;
        before[name] = s?.state ?? null;
        if (desired === "PAUSED") await connect.pause(name, ctx.signal);
        else await connect.resume(name, ctx.signal);
      }
      return before;
    },
    async verify(ctx, input, plan) {
      const { connect, connectors } = flowConnectors(ctx.adapters.kafka, input.flow, input.connectors);
      const deadline = ctx.clock.now() + input.settleMs;
      const names = plan.changes.length ? connectors.map((c) => c.name) : [];
      let sourceDown: boolean | undefined;
      for (;;) {
        const statuses = await Promise.all(names.map((n) => connect.status(n, ctx.signal)));
        const confirmed = statuses.map((st) => confirmation(st, desired));
        if (desired === "PAUSED" && confirmed.some((c) => c === null)) {
          // A task blocked on a source cluster that is gone (MirrorCheckpointTask waits in an admin
          // call to it) cannot report PAUSED until that call returns. It copies nothing meanwhile,
          // and once it returns the worker applies the PAUSED target state it already accepted.
          sourceDown ??= !(await reachable(ctx.adapters.kafka, input.flow, ctx.signal));
          if (sourceDown) {
            const source = ctx.adapters.kafka.flow(input.flow).source;
            statuses.forEach((st, i) => {
              if (confirmed[i] === null && st !== null && st.state !== "FAILED")
                confirmed[i] =
                  `pause accepted by the worker; ${st.tasks.filter((t) => t.state !== "PAUSED").length} task(s) blocked on unreachable ${source} pause when it returns`;
            });
          }
        }
        const waiting = names.filter((_, i) => confirmed[i] === null);
        if (waiting.length === 0) {
          const confirmedBy: JsonObject = {};
          names.forEach((n, i) => (confirmedBy[n] = confirmed[i]!));
          return { connectors: names.length, confirmedBy };
        }
        if (ctx.clock.now() >= deadline) {
          throw new SwitchoverError(
            ErrorCode.VerifyFailed,
            `connector(s) not ${desired} after ${input.settleMs} ms: ${waiting
              .map((n) => {
                const s = statuses[names.indexOf(n)];
                return `${n} ${s?.state ?? "missing"} tasks [${s?.tasks.map((t) => t.state).join(", ") ?? ""}]`;
              })
              .join("; ")}`,
          );
        }
        await ctx.clock.sleep(500, ctx.signal);
      }
    },
    revert(record) {
      const roles = record.plan.outputs.roles as Record<string, ConnectorRole> | undefined;
      const changed = record.plan.changes
        .map((c) => roles?.[c.resource.slice(c.resource.indexOf("/connector/") + "/connector/".length)])
        .filter((r): r is ConnectorRole => r !== undefined);
      if (changed.length === 0) return undefined;
      return { uses: opposite, with: { flow: record.input.flow, connectors: changed } };
    },
  });
}

export const mirrorPauseStep = connectorStateStep("mirror.pause");
export const mirrorResumeStep = connectorStateStep("mirror.resume");
