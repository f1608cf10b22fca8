// `npm run sandbox -- <command>`: start, inspect and break the local DR topology.
//   up [component…] [--timeout S]   start (idempotent) and wait for readiness; default: everything
//                                    but the opt-in components (secure-kafka: a SASL/SCRAM broker;
//                                    redis-ha: switchover's Redis as primary dc1, replica dc2 and
//                                    three Sentinels)
//   down [--purge]                   stop everything (purge: also delete data, keep the jar cache)
//   status                           JSON: every component's endpoints, pid, health, RSS
//   stop <target…> / start <target…> lose / regain a node or a datacenter (stop is SIGKILL)
//   logs <component> [-n N] [-f]     the component's log
//   fetch                            download the Kafka jars only (CI warms the cache with it)
//   env                              path of the environment file switchover reads
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bindComponent } from "./components/bind.js";
import { connectComponents } from "./components/connect.js";
import { kafkaNodeComponent, killKafkaNode } from "./components/kafka.js";
import { redisComponent } from "./components/redis.js";
import { redisHaComponents } from "./components/redis-ha.js";
import { SandboxError } from "./components/types.js";
import type { Component, ComponentStatus, SandboxPaths } from "./components/types.js";
import { writeEnvironment } from "./environment.js";
import { ensureKafkaJars, fetchKafkaJars, findJava } from "./lib/jars.js";
import { ensurePrerequisites, prerequisitesFor } from "./lib/prerequisites.js";
import { configFile, logFile, pidFile, sandboxPaths } from "./lib/paths.js";
import { isAlive, killProcess, readPid } from "./lib/process.js";
import { withCliLock } from "./lib/cli-lock.js";
import { seedReplicated, seedStretch } from "./seed.js";
import { connectWorker, connectWorkers, kafkaNodes, secureKafkaNode } from "./topology.js";

const kafka = new Map(kafkaNodes.map((n) => [n.id, kafkaNodeComponent(n)]));
/** Started only when named (tests that need them bring them up); reported apart in `status`. */
const haIds = redisHaComponents.map((h) => h.component.id);
const optIn: Component[] = [
  kafkaNodeComponent(secureKafkaNode),
  ...redisHaComponents.map((h) => h.component),
];
const optInIds = new Set(optIn.map((c) => c.id));
const all: Component[] = [...kafka.values(), ...connectComponents, bindComponent, redisComponent, ...optIn];
const connectIds = new Set(connectWorkers.map((w) => w.id));
const byId = new Map(all.map((c) => [c.id, c]));

/** Names `up` accepts besides component ids. */
const groups: Record<string, string[]> = {
  kafka: kafkaNodes.map((n) => n.id),
  replicated: ["dc1-kafka", "dc2-kafka", ...connectIds],
  stretch: kafkaNodes.filter((n) => n.cluster === "stretch").map((n) => n.id),
  connect: [...connectIds],
  mm2: ["dc1-kafka", "dc2-kafka", connectWorker.id],
  dns: [bindComponent.id],
  "redis-ha": haIds,
};

/** Targets `stop`/`start` accept: a component, a datacenter, or <cluster>/<datacenter>. */
function resolveTargets(names: string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    if (byId.has(name)) {
      out.add(name);
      continue;
    }
    const [cluster, dc] = name.includes("/") ? name.split("/") : [undefined, name];
    const nodes = kafkaNodes.filter(
      (n) => n.datacenter === dc && (cluster === undefined || n.cluster === cluster),
    );
    const haInDc = cluster === undefined && redisHaComponents.some((h) => h.datacenter === dc);
    if (nodes.length === 0 && !haInDc) throw unknownTarget(name);
    nodes.forEach((n) => out.add(n.id));
    if (cluster === undefined) {
      connectWorkers.filter((w) => w.datacenter === dc).forEach((w) => out.add(w.id));
      // The DC's share of switchover's own Redis HA (kept only where it was ever started).
      redisHaComponents.filter((h) => h.datacenter === dc).forEach((h) => out.add(h.component.id));
    }
  }
  return [...out];
}

function resolveComponents(names: string[]): string[] {
  if (names.length === 0) return all.map((c) => c.id).filter((id) => !optInIds.has(id));
  const out = new Set<string>();
  for (const name of names) {
    const members = groups[name] ?? (byId.has(name) ? [name] : undefined);
    if (!members) throw unknownTarget(name);
    members.forEach((m) => out.add(m));
  }
  // Connect needs both sides of the replicated pair.
  if ([...connectIds].some((id) => out.has(id))) ["dc1-kafka", "dc2-kafka"].forEach((m) => out.add(m));
  return all.map((c) => c.id).filter((id) => out.has(id));
}

function unknownTarget(name: string): SandboxError {
  const valid = [...Object.keys(groups), ...byId.keys(), "dc1", "dc2", "dc3", "stretch/dc1", "stretch/dc2"];
  return new SandboxError("sandbox", `unknown component "${name}"`, `use one of: ${valid.join(", ")}`);
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

async function statusAll(paths: SandboxPaths): Promise<ComponentStatus[]> {
  return Promise.all(all.map((c) => c.status(paths)));
}

async function up(paths: SandboxPaths, names: string[], timeoutMs: number): Promise<void> {
  const ids = resolveComponents(names);
  const started = Date.now();
  const kafkaIds = new Set([...kafka.keys(), kafkaNodeComponent(secureKafkaNode).id, ...connectIds]);
  const needsKafka = ids.some((id) => kafkaIds.has(id));
  ensurePrerequisites(
    prerequisitesFor({
      kafka: needsKafka,
      bind: ids.includes(bindComponent.id),
      redis: ids.includes(redisComponent.id),
      redisHa: ids.some((id) => haIds.includes(id)),
    }),
    say,
  );
  if (needsKafka) {
    findJava();
    await fetchKafkaJars(paths, say);
  }
  const before = new Map((await statusAll(paths)).map((s) => [s.id, s.pid !== undefined]));
  const opts = { timeoutMs };
  try {
    // Kafka nodes, DNS and Redis start together (the stretched cluster's quorum needs its voters
    // at once); seed data next; Connect last, since MM2 needs both clusters and the topics.
    const first = ids.filter((id) => !connectIds.has(id) && !haIds.includes(id));
    await Promise.all(
      first.map(async (id) => {
        const s = await byId.get(id)!.start(paths, opts);
        say(
          `ready  ${id.padEnd(12)} ${s.endpoints.join(" ")}  (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      }),
    );
    // Redis HA in order: primary, replica, then the Sentinels watching them.
    for (const id of haIds.filter((h) => ids.includes(h))) {
      const s = await byId.get(id)!.start(paths, opts);
      say(`ready  ${id.padEnd(12)} ${s.endpoints.join(" ")}  ${s.detail ?? ""}`);
    }
    if (ids.includes("dc1-kafka")) await seedReplicated();
    if (ids.includes("stretch-1")) await seedStretch();
    await Promise.all(
      connectComponents
        .filter((c) => ids.includes(c.id))
        .map(async (c) => {
          const s = await c.start(paths, opts);
          say(
            `ready  ${c.id.padEnd(12)} ${s.endpoints.join(" ")}  ${s.detail ?? ""}  (${((Date.now() - started) / 1000).toFixed(1)} s)`,
          );
        }),
    );
  } catch (err) {
    // Leave nothing half-started: stop what this invocation started.
    await Promise.all(
      ids
        .filter((id) => !before.get(id))
        .map((id) =>
          byId
            .get(id)!
            .stop(paths)
            .catch(() => undefined),
        ),
    );
    throw err;
  }
  const env = writeEnvironment(paths);
  const statuses = await statusAll(paths);
  const rss = statuses.reduce((sum, s) => sum + (s.rssBytes ?? 0), 0);
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(
    join(paths.state, "last-up.json"),
    JSON.stringify({ at: new Date().toISOString(), seconds, components: ids }),
  );
  say(`all ready in ${seconds.toFixed(1)} s; total RSS ${mib(rss)}; environment: ${env}`);
}

async function down(paths: SandboxPaths, purge: boolean): Promise<void> {
  await Promise.all(connectComponents.map((c) => c.stop(paths)));
  await Promise.all(all.filter((c) => !connectIds.has(c.id)).map((c) => c.stop(paths)));
  if (purge) {
    for (const dir of ["kafka", "connect", "bind", "redis", ...haIds, "run", "logs"])
      rmSync(join(paths.state, dir), { recursive: true, force: true });
    rmSync(configFile(paths), { force: true });
  }
  say(`stopped${purge ? " and purged (jar cache kept)" : ""}`);
}

/** Redis HA parts count in a DC's stop/start only where `up redis-ha` ever ran them. */
function inUse(paths: SandboxPaths, id: string): boolean {
  return !haIds.includes(id) || existsSync(join(paths.state, id));
}

async function stop(paths: SandboxPaths, targets: string[]): Promise<void> {
  const ids = resolveTargets(targets).filter(
    (id) => !haIds.includes(id) || isAlive(readPid(pidFile(paths, id))),
  );
  await Promise.all(
    ids.map(async (id) => {
      const node = kafkaNodes.find((n) => n.id === id);
      if (node) await killKafkaNode(paths, node);
      else await killProcess(pidFile(paths, id));
      say(`killed ${id}`);
    }),
  );
}

async function start(paths: SandboxPaths, targets: string[], timeoutMs: number): Promise<void> {
  const ids = resolveTargets(targets).filter((id) => inUse(paths, id));
  await Promise.all(
    ids
      .filter((id) => !connectIds.has(id) && !haIds.includes(id))
      .map((id) => byId.get(id)!.start(paths, { timeoutMs })),
  );
  for (const id of haIds.filter((h) => ids.includes(h))) await byId.get(id)!.start(paths, { timeoutMs });
  await Promise.all(
    connectComponents.filter((c) => ids.includes(c.id)).map((c) => c.start(paths, { timeoutMs })),
  );
  ids.forEach((id) => say(`ready  ${id}`));
}

async function status(paths: SandboxPaths): Promise<void> {
  const statuses = await statusAll(paths);
  const components = statuses.filter((s) => !optInIds.has(s.id));
  const lastUp = existsSync(join(paths.state, "last-up.json"))
    ? (JSON.parse(readFileSync(join(paths.state, "last-up.json"), "utf8")) as unknown)
    : null;
  const totalRss = components.reduce((sum, s) => sum + (s.rssBytes ?? 0), 0);
  const out = {
    healthy: components.every((c) => c.healthy),
    environment: existsSync(configFile(paths)) ? configFile(paths) : null,
    totalRssBytes: totalRss,
    totalRss: mib(totalRss),
    lastUp,
    components,
    optional: statuses.filter((s) => optInIds.has(s.id)),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

function logs(paths: SandboxPaths, id: string | undefined, lines: number, follow: boolean): void {
  if (!id || !(byId.has(id) || id === "maven")) throw unknownTarget(id ?? "");
  const file = logFile(paths, id);
  if (!existsSync(file))
    throw new SandboxError(id, "has no log yet", "start it with `npm run sandbox -- up`");
  spawn("tail", ["-n", String(lines), ...(follow ? ["-F"] : []), file], { stdio: "inherit" });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const cmd = args.shift();
  const paths = sandboxPaths();
  const timeoutS = Number(option(args, "--timeout") ?? 120);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new SandboxError("sandbox", "--timeout must be a positive number of seconds");
  const timeoutMs = timeoutS * 1000;
  switch (cmd) {
    case "up":
      return withCliLock(paths, timeoutMs * 2, () => up(paths, args, timeoutMs));
    case "down":
      return withCliLock(paths, 120_000, () => down(paths, args.includes("--purge")));
    case "status":
      return status(paths);
    case "stop":
      if (args.length === 0)
        throw new SandboxError(
          "sandbox",
          "stop needs a target",
          "e.g. `stop dc1`, `stop stretch/dc1`, `stop dc2-connect`",
        );
      return withCliLock(paths, timeoutMs * 2, () => stop(paths, args));
    case "start":
      if (args.length === 0) throw new SandboxError("sandbox", "start needs a target", "e.g. `start dc1`");
      return withCliLock(paths, timeoutMs * 2, () => start(paths, args, timeoutMs));
    case "logs": {
      const n = Number(option(args, "-n") ?? 100);
      const follow = args.includes("-f");
      return logs(
        paths,
        args.find((a) => a !== "-f"),
        n,
        follow,
      );
    }
    case "fetch":
      ensurePrerequisites(prerequisitesFor({ kafka: true, bind: false, redis: false, redisHa: false }), say);
      findJava();
      await fetchKafkaJars(paths, say);
      say(`Kafka jars in ${ensureKafkaJars(paths).split(":").length} files under ${paths.cache}`);
      return;
    case "env":
      process.stdout.write(`${writeEnvironment(paths)}\n`);
      return;
    default:
      throw new SandboxError(
        "sandbox",
        cmd ? `unknown command "${cmd}"` : "no command given",
        "use one of: up, down, status, stop, start, logs, fetch, env",
      );
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof SandboxError) {
    process.stderr.write(`${err.component === "sandbox" ? "" : "sandbox: "}${err.line()}\n`);
  } else {
    process.stderr.write(
      `sandbox: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exitCode = 1;
});
