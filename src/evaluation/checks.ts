// The read-only pre-flight checks the steps' `evaluate` hooks are built from: cluster reachable
// (credentials valid: SASL runs on connect), topics and groups present, a flow's clusters and MM2
// bookkeeping, Connect connectors known, a DNS zone updatable, a consumer controller answering, an
// HTTP endpoint accepting connections. Each returns a check, never throws.
import { connect as tcpConnect } from "node:net";
import type { ConsumerFleets } from "../adapters/consumers/consumer-fleets.js";
import type { DnsZones } from "../adapters/dns/providers/dns-zones.js";
import type { KafkaAdapter } from "../adapters/kafka/kafka-adapter.js";
import { checkpointsTopic } from "../kafka/mm2-records.js";
import { matchNames } from "../kafka/topic-selection.js";
import type { TopicSelection } from "../kafka/topic-selection.js";
import type { EvaluationCheck, EvaluationOutcome } from "../engine/step-contract.js";

const RANK: Record<EvaluationOutcome, number> = { ready: 0, degraded: 1, blocked: 2 };

/** The worse of outcomes: blocked > degraded > ready. */
export function worst(outcomes: Iterable<EvaluationOutcome>): EvaluationOutcome {
  let out: EvaluationOutcome = "ready";
  for (const o of outcomes) if (RANK[o] > RANK[out]) out = o;
  return out;
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const ok = (check: string, reason: string): EvaluationCheck => ({ check, outcome: "ready", reason });
const degraded = (check: string, reason: string): EvaluationCheck => ({ check, outcome: "degraded", reason });
const blocked = (check: string, reason: string): EvaluationCheck => ({ check, outcome: "blocked", reason });

/** Runs a check; whatever it throws makes it `whenThrown` (blocked by default) with the error's message. */
async function guarded(
  check: string,
  run: () => Promise<EvaluationCheck>,
  whenThrown: EvaluationOutcome = "blocked",
): Promise<EvaluationCheck> {
  try {
    return await run();
  } catch (err) {
    return { check, outcome: whenThrown, reason: messageOf(err) };
  }
}

type Flow = ReturnType<KafkaAdapter["flow"]>;

/** The named flow, or the blocked check that says why there is none. */
function flowOr(kafka: KafkaAdapter, flowName: string): Flow | EvaluationCheck {
  try {
    return kafka.flow(flowName);
  } catch (err) {
    return blocked(`flow ${flowName}`, messageOf(err));
  }
}
const isCheck = (x: Flow | EvaluationCheck): x is EvaluationCheck => "outcome" in x;

/** Brokers answer Metadata with the configured credentials. */
export async function clusterReachable(
  kafka: KafkaAdapter,
  cluster: string,
  signal: AbortSignal,
  whenDown: EvaluationOutcome = "blocked",
): Promise<EvaluationCheck> {
  const check = `cluster ${cluster} reachable`;
  return guarded(
    check,
    async () => {
      const brokers = await kafka.cluster(cluster).brokers(signal);
      const racks = [...new Set(brokers.map((b) => b.rack ?? "no rack"))].sort().join(", ");
      return ok(check, `${brokers.length} broker(s) answered (racks: ${racks || "none"})`);
    },
    whenDown,
  );
}

/** A selection resolves on the cluster: named topics exist; a pattern that matches nothing is degraded. */
export async function topicsPresent(
  kafka: KafkaAdapter,
  cluster: string,
  sel: TopicSelection | undefined,
  signal: AbortSignal,
): Promise<EvaluationCheck> {
  const check = `topics on ${cluster}`;
  if (!sel) return ok(check, "no topic selection (restore input)");
  return guarded(check, async () => {
    const picked = matchNames(await kafka.cluster(cluster).listTopics(signal), sel);
    if (picked.length === 0)
      return degraded(check, "the selection matches no topic now: the step would do nothing");
    const shown = picked.slice(0, 5).join(", ") + (picked.length > 5 ? `, … (${picked.length})` : "");
    return ok(
      check,
      `${picked.length} topic(s) selected${sel.where ? " before the where filter" : ""}: ${shown}`,
    );
  });
}

/** One topic exists and every partition has a leader. */
export async function topicHasLeaders(
  kafka: KafkaAdapter,
  cluster: string,
  topic: string,
  signal: AbortSignal,
): Promise<EvaluationCheck> {
  const check = `topic ${cluster}/${topic}`;
  return guarded(check, async () => {
    const client = kafka.cluster(cluster);
    if (!(await client.listTopics(signal)).includes(topic))
      return blocked(check, `topic ${topic} does not exist`);
    const [state] = await client.topicStates([topic], signal);
    const leaderless = (state?.partitions ?? []).filter((p) => p.leader < 0).map((p) => p.partition);
    if (leaderless.length > 0) return blocked(check, `partitions without a leader: ${leaderless.join(", ")}`);
    return ok(check, `${state?.partitions.length ?? 0} partition(s), all with a leader`);
  });
}

/** Consumer groups known to the cluster; an absent group is degraded (nothing to act on or verify). */
export async function groupsPresent(
  kafka: KafkaAdapter,
  cluster: string,
  groups: readonly string[],
  signal: AbortSignal,
): Promise<EvaluationCheck> {
  const check = `groups on ${cluster}`;
  if (groups.length === 0) return ok(check, "no groups to check");
  return guarded(check, async () => {
    const known = new Set(await kafka.cluster(cluster).listGroups(signal));
    const missing = groups.filter((g) => !known.has(g));
    if (missing.length > 0) return degraded(check, `not known to ${cluster}: ${missing.join(", ")}`);
    return ok(check, `${groups.length} group(s) present`);
  });
}

/**
 * A replication flow's clusters: the target must answer; the source may be down (failing over from
 * a lost source is the point), which is degraded. MM2's checkpoints topic must exist on the target
 * when offsets are to be translated.
 */
export async function flowClusters(
  kafka: KafkaAdapter,
  flowName: string,
  signal: AbortSignal,
  opts: { needCheckpoints?: boolean; sourceRequired?: boolean } = {},
): Promise<EvaluationCheck[]> {
  const flow = flowOr(kafka, flowName);
  if (isCheck(flow)) return [flow];
  const [target, source] = await Promise.all([
    clusterReachable(kafka, flow.target, signal),
    clusterReachable(kafka, flow.source, signal, opts.sourceRequired ? "blocked" : "degraded"),
  ]);
  const checks = [target, source];
  if (opts.needCheckpoints && target.outcome === "ready") {
    const topic = checkpointsTopic(flow.sourceAlias);
    const check = `checkpoints of ${flow.sourceAlias} on ${flow.target}`;
    checks.push(
      await guarded(check, async () =>
        (await kafka.cluster(flow.target).listTopics(signal)).includes(topic)
          ? ok(check, `${topic} exists`)
          : blocked(check, `${topic} does not exist: MM2's checkpoint connector has never run for this flow`),
      ),
    );
  }
  return checks;
}

/** Connect answers and knows each connector; a FAILED connector is degraded (the step may fix it). */
export async function connectorsKnown(
  kafka: KafkaAdapter,
  flowName: string,
  roles: readonly string[] | undefined,
  signal: AbortSignal,
): Promise<EvaluationCheck[]> {
  const flow = flowOr(kafka, flowName);
  if (isCheck(flow)) return [flow];
  if (!flow.connect || !flow.connectors) {
    return [blocked(`connectors of ${flowName}`, "the flow declares no Connect worker and connectors")];
  }
  const connectName = flow.connect;
  const wanted = Object.entries(flow.connectors).filter(
    (e): e is [string, string] => e[1] !== undefined && (!roles || roles.includes(e[0])),
  );
  const missingRoles = (roles ?? []).filter((r) => !wanted.some(([w]) => w === r));
  const out: EvaluationCheck[] = missingRoles.map((r) =>
    blocked(`connector ${r} of ${flowName}`, `the flow has no ${r} connector configured`),
  );
  const connect = kafka.connect(connectName);
  for (const [role, name] of wanted) {
    const check = `connector ${name} on ${connectName}`;
    try {
      const status = await connect.status(name, signal);
      if (!status)
        out.push(blocked(check, `Connect worker ${connectName} does not know the ${role} connector ${name}`));
      else if (status.state === "FAILED" || status.tasks.some((t) => t.state === "FAILED"))
        out.push(degraded(check, `${name} or one of its tasks is FAILED`));
      else out.push(ok(check, `${status.state}, ${status.tasks.length} task(s)`));
    } catch (err) {
      out.push(blocked(check, `Connect worker ${connectName} unreachable: ${messageOf(err)}`));
    }
  }
  return out;
}

/** A Connect worker answers its REST API (a GET of a connector's status: 200 or 404 both prove it). */
export async function connectReachable(
  kafka: KafkaAdapter,
  connectName: string,
  probeConnector: string,
  signal: AbortSignal,
): Promise<EvaluationCheck> {
  const check = `Connect worker ${connectName} reachable`;
  return guarded(check, async () => {
    const status = await kafka.connect(connectName).status(probeConnector, signal);
    return ok(
      check,
      status
        ? `answers; ${probeConnector} exists (${status.state})`
        : `answers; ${probeConnector} does not exist yet`,
    );
  });
}

/** The zone accepts a change with the configured credentials, proven without changing anything. */
export async function dnsZoneUpdatable(
  dns: DnsZones,
  zone: string,
  signal: AbortSignal,
): Promise<EvaluationCheck> {
  const check = `dns zone ${zone} updatable`;
  return guarded(check, async () => {
    const provider = dns.zone(zone);
    if (!provider.probeUpdate)
      return degraded(check, `the ${provider.provider} provider cannot prove updates`);
    return ok(check, await provider.probeUpdate(signal));
  });
}

/** Opens (and closes) a TCP connection: proves a listener without sending a request it could act on. */
export function tcpReachable(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const done = (err?: Error) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => done(new Error("aborted"));
    const timer = setTimeout(
      () => done(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => done());
    socket.once("error", (err) => done(err));
  });
}

/** An HTTP(S) endpoint accepts connections (no request is sent: it might act on it). */
export async function urlReachable(
  url: string,
  signal: AbortSignal,
  timeoutMs = 5_000,
): Promise<EvaluationCheck> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return blocked(`endpoint ${url}`, "not a URL");
  }
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const check = `endpoint ${u.protocol}//${u.host} reachable`;
  return guarded(check, async () => {
    await tcpReachable(u.hostname.replace(/^\[|\]$/g, ""), port, timeoutMs, signal);
    return ok(check, "accepts connections (no request sent)");
  });
}

/** The fleet's controller answers: Kubernetes reads the workload's scale; a webhook accepts connections. */
export async function fleetAnswering(
  consumers: ConsumerFleets,
  fleetName: string,
  signal: AbortSignal,
): Promise<EvaluationCheck> {
  const check = `consumer fleet ${fleetName} controller`;
  return guarded(check, async () => {
    const c = consumers.fleet(fleetName).controller;
    if (c.kind === "kubernetes") {
      const replicas = await c.replicas(signal);
      return ok(check, `${c.describe("pause")} answers: ${replicas ?? "unknown"} replica(s)`);
    }
    // describe() is "METHOD url" with credentials stripped.
    const url = c.describe("pause").split(" ").slice(1).join(" ");
    const probe = await urlReachable(url, signal);
    return { ...probe, check };
  });
}
