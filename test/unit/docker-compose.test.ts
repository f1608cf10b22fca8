// docker-compose.yml cannot run in CI (no Docker daemon), so this checks instead that it and the
// files it mounts from deploy/compose describe the sandbox exactly: sandbox/topology.ts for nodes,
// ids, roles, racks, voters and ports, mm2Connectors() for MM2, sandboxEnvironment() for the
// environment file. Changing any of those without updating the compose files fails here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { mm2Connectors } from "../../sandbox/components/connect.js";
import { sandboxEnvironment } from "../../sandbox/environment.js";
import { repoRoot } from "../../sandbox/lib/paths.js";
import { replicatedTopics } from "../../sandbox/seed.js";
import {
  connectWorker,
  connectWorkers,
  dns,
  HOST,
  KAFKA_VERSION,
  kafkaNodes,
  mm2Flows,
  PORT_OFFSET,
  redis,
  reverseConnectWorker,
  stretchTopics,
} from "../../sandbox/topology.js";
import type { KafkaNode } from "../../sandbox/topology.js";
import { parseConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";

// docker-compose.yml publishes the default ports; a shifted side sandbox (SWITCHOVER_SANDBOX_PORT_OFFSET,
// used by developers running two at once) is not what it describes. CI runs with no offset.
const shifted = PORT_OFFSET !== 0;

const COMPOSE_DIR = join(repoRoot, "deploy", "compose");
const read = (path: string): string => readFileSync(resolve(repoRoot, path), "utf8");

// Only the parts of the Compose format these checks read; the rest passes through.
const stringList = z.array(z.string());
const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.string().optional(),
  command: z.union([z.string(), stringList]).optional(),
  entrypoint: z.union([z.string(), stringList]).optional(),
  network_mode: z.string().optional(),
  ports: stringList.default([]),
  // Quoted strings only: Compose would coerce numbers, but then `1` and `"01"` compare differently.
  environment: z.record(z.string(), z.string()).default({}),
  volumes: stringList.default([]),
  secrets: stringList.default([]),
  healthcheck: z.object({ test: z.union([z.string(), stringList]) }).optional(),
});
type Service = z.infer<typeof serviceSchema>;
const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  secrets: z.record(z.string(), z.object({ file: z.string() })).default({}),
  volumes: z.record(z.string(), z.unknown()).default({}),
});

const compose = composeSchema.parse(parseYaml(read("docker-compose.yml")));

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

interface Published {
  ip: string;
  published: number;
  target: number;
  protocol: "tcp" | "udp";
}

/** Short-syntax port entries; anything else (no host IP, ranges) fails, so every binding is explicit. */
function published(svc: Service): Published[] {
  return svc.ports.map((entry) => {
    const m = /^(?<ip>\d+\.\d+\.\d+\.\d+):(?<published>\d+):(?<target>\d+)(?:\/(?<protocol>tcp|udp))?$/.exec(
      entry,
    );
    if (!m?.groups) throw new Error(`port entry "${entry}" is not ip:published:target[/proto]`);
    return {
      ip: m.groups.ip!,
      published: Number(m.groups.published),
      target: Number(m.groups.target),
      protocol: (m.groups.protocol ?? "tcp") as "tcp" | "udp",
    };
  });
}

/** Container path where a repository file is bind-mounted into the service. */
function mountTarget(svc: Service, source: string): string | undefined {
  for (const volume of svc.volumes) {
    const [from, to] = volume.split(":");
    if (from && to && resolve(repoRoot, from) === resolve(repoRoot, source)) return to;
  }
  return undefined;
}

function commandLine(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === "string" ? value.split(/\s+/) : value;
}

/** "NAME://host:port,…" → { NAME: { host, port } } */
function listenerMap(value: string | undefined): Record<string, { host: string; port: number }> {
  if (!value) return {};
  return Object.fromEntries(
    value.split(",").map((entry) => {
      const m = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(entry);
      if (!m) throw new Error(`listener "${entry}" is not NAME://host:port`);
      return [m[1]!, { host: m[2]!, port: Number(m[3]) }];
    }),
  );
}

function properties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const eq = line.indexOf("=");
        return [line.slice(0, eq), line.slice(eq + 1)];
      }),
  );
}

const clusterNodes = (cluster: KafkaNode["cluster"]): KafkaNode[] =>
  kafkaNodes.filter((n) => n.cluster === cluster);

/** Bootstrap list of a cluster as containers address it: service name and the sandbox port. */
const containerBootstrap = (cluster: KafkaNode["cluster"]): string[] =>
  clusterNodes(cluster)
    .filter((n) => n.brokerPort)
    .map((n) => `${n.id}:${n.brokerPort}`);

/** "127.0.0.1:19092,…" (the sandbox's addresses) → "dc1-kafka:19092,…" (the containers'). */
function toContainerAddresses(list: string): string {
  return list
    .split(",")
    .map((address) => {
      const [host, port] = address.split(":");
      const node = kafkaNodes.find((n) => n.brokerPort === Number(port));
      if (host !== HOST || !node) throw new Error(`${address} is no sandbox broker address`);
      return `${node.id}:${port}`;
    })
    .join(",");
}

describe.skipIf(shifted)("docker-compose.yml: Kafka nodes match sandbox/topology.ts", () => {
  it("has exactly the sandbox's Kafka nodes as apache/kafka services", () => {
    const kafkaServices = Object.entries(compose.services)
      .filter(([, svc]) => svc.environment.KAFKA_PROCESS_ROLES !== undefined)
      .map(([name]) => name)
      .sort();
    expect(kafkaServices).toEqual(kafkaNodes.map((n) => n.id).sort());
    for (const node of kafkaNodes) expect(service(node.id).image).toBe(`apache/kafka:${KAFKA_VERSION}`);
  });

  it("gives every node of a cluster the same CLUSTER_ID, and each cluster its own", () => {
    const ids = new Map<string, string>();
    for (const node of kafkaNodes) {
      const id = service(node.id).environment.CLUSTER_ID;
      expect(id, node.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const seen = ids.get(node.cluster);
      if (seen) expect(id, `${node.id} vs the rest of ${node.cluster}`).toBe(seen);
      else ids.set(node.cluster, id!);
    }
    expect(new Set(ids.values()).size).toBe(new Set(kafkaNodes.map((n) => n.cluster)).size);
  });

  describe.each(kafkaNodes.map((node) => [node.id, node] as const))("%s", (_id, node) => {
    const svc = service(node.id);
    const env = svc.environment;
    const listeners = listenerMap(env.KAFKA_LISTENERS);
    const advertised = listenerMap(env.KAFKA_ADVERTISED_LISTENERS);
    const isBroker = node.roles.includes("broker");
    const isController = node.roles.includes("controller");

    it("has the node id and roles", () => {
      expect(env.KAFKA_NODE_ID).toBe(String(node.nodeId));
      expect(env.KAFKA_PROCESS_ROLES?.split(",").sort()).toEqual([...node.roles].sort());
    });

    it("names the cluster's controllers as quorum voters, by service name and sandbox port", () => {
      const voters = clusterNodes(node.cluster)
        .filter((n) => n.roles.includes("controller"))
        .map((n) => `${n.nodeId}@${n.id}:${n.controllerPort}`);
      expect(voters.length).toBeGreaterThan(0);
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS?.split(",")).toEqual(voters);
      expect(env.KAFKA_CONTROLLER_LISTENER_NAMES).toBe("CONTROLLER");
    });

    it("has broker.rack = its datacenter (brokers only)", () => {
      expect(env.KAFKA_BROKER_RACK).toBe(isBroker ? node.datacenter : undefined);
    });

    it("listens on the sandbox ports: PLAINTEXT for containers, HOST published, CONTROLLER", () => {
      const expectedListeners = [
        ...(isBroker ? ["HOST", "PLAINTEXT"] : []),
        ...(isController ? ["CONTROLLER"] : []),
      ].sort();
      expect(Object.keys(listeners).sort()).toEqual(expectedListeners);
      if (isBroker) {
        expect(listeners.PLAINTEXT?.port).toBe(node.brokerPort);
        expect(advertised.PLAINTEXT).toEqual({ host: node.id, port: node.brokerPort });
        expect(advertised.HOST).toEqual({ host: HOST, port: node.brokerPort });
        expect(env.KAFKA_INTER_BROKER_LISTENER_NAME).toBe("PLAINTEXT");
      } else {
        // The image refuses advertised listeners on a controller-only node.
        expect(env.KAFKA_ADVERTISED_LISTENERS).toBeUndefined();
      }
      if (isController) {
        expect(listeners.CONTROLLER?.port).toBe(node.controllerPort);
        if (isBroker) expect(advertised.CONTROLLER).toEqual({ host: node.id, port: node.controllerPort });
      }
    });

    it("publishes exactly the sandbox ports on 127.0.0.1", () => {
      const expected: Published[] = [];
      if (node.brokerPort) {
        expected.push({
          ip: HOST,
          published: node.brokerPort,
          target: listeners.HOST!.port,
          protocol: "tcp",
        });
      }
      if (node.controllerPort) {
        expected.push({
          ip: HOST,
          published: node.controllerPort,
          target: node.controllerPort,
          protocol: "tcp",
        });
      }
      expect(published(svc)).toEqual(expected);
    });

    it("has the sandbox's replication settings for internal topics (brokers only)", () => {
      if (!isBroker) return;
      const stretched = node.cluster === "stretch";
      const brokers = clusterNodes(node.cluster).filter((n) => n.brokerPort).length;
      const internalRf = String(stretched ? Math.min(4, brokers) : 1);
      expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe(internalRf);
      expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe(internalRf);
      expect(env.KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR).toBe(internalRf);
      expect(env.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe(stretched ? "4" : "1");
      expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe("false");
    });

    it("keeps its data in a named volume", () => {
      expect(svc.volumes).toContain(`${node.id}-data:/var/lib/kafka/data`);
      expect(compose.volumes).toHaveProperty(`${node.id}-data`);
    });
  });

  it("seeds the sandbox's demo topics (kafka-seed)", () => {
    const seed = service("kafka-seed");
    const script = "deploy/compose/kafka/seed-topics.sh";
    expect(mountTarget(seed, script)).toBeDefined();
    const text = read(script).replace(/\\\n\s*/g, " ");
    const vars = Object.fromEntries([...text.matchAll(/^(\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const created = [...text.matchAll(/^create "\$(\w+)" (.*)$/gm)].map((m) => {
      const args = m[2]!.trim().split(/\s+/);
      const arg = (flag: string) => args.filter((_, i) => args[i - 1] === flag);
      return {
        bootstrap: vars[m[1]!],
        topic: arg("--topic")[0],
        partitions: Number(arg("--partitions")[0]),
        replicationFactor: Number(arg("--replication-factor")[0]),
        configs: Object.fromEntries(arg("--config").map((c) => c.split("="))) as Record<string, string>,
      };
    });
    expect(created).toEqual([
      ...replicatedTopics.map((t) => ({
        bootstrap: containerBootstrap("dc1").join(","),
        topic: t.topic,
        partitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        configs: {},
      })),
      ...stretchTopics.map((t) => ({
        bootstrap: containerBootstrap("stretch").join(","),
        topic: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configs: t.configs,
      })),
    ]);
  });
});

const workerFiles: Record<string, string> = {
  [connectWorker.id]: "deploy/compose/connect/worker.properties",
  [reverseConnectWorker.id]: "deploy/compose/connect/dc1-worker.properties",
};

describe.skipIf(shifted).each(connectWorkers)("docker-compose.yml: Connect worker $id", (w) => {
  const svc = service(w.id);
  const workerFile = workerFiles[w.id]!;
  const worker = properties(read(workerFile));

  it("runs connect-distributed.sh from apache/kafka with the mounted worker.properties", () => {
    expect(svc.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    const target = mountTarget(svc, workerFile);
    expect(target).toBeDefined();
    expect(commandLine(svc.command)).toEqual(["/opt/kafka/bin/connect-distributed.sh", target]);
  });

  it("publishes the REST port on 127.0.0.1, and the worker listens and advertises there", () => {
    const listen = /^http:\/\/0\.0\.0\.0:(\d+)$/.exec(worker.listeners ?? "");
    expect(listen).not.toBeNull();
    expect(published(svc)).toEqual([
      { ip: HOST, published: w.restPort, target: Number(listen![1]), protocol: "tcp" },
    ]);
    expect(Number(listen![1])).toBe(w.restPort);
    expect(worker["rest.advertised.host.name"]).toBe(w.id);
    expect(worker["rest.advertised.port"]).toBe(String(w.restPort));
  });

  it("stores its state on the cluster of its datacenter, in its own group and topics", () => {
    expect(worker["bootstrap.servers"]).toBe(containerBootstrap(w.cluster).join(","));
    expect(worker["group.id"]).toBe(w.groupId);
    expect([
      worker["config.storage.topic"],
      worker["offset.storage.topic"],
      worker["status.storage.topic"],
    ]).toEqual(["configs", "offsets", "status"].map((t) => `${w.storagePrefix}-${t}`));
    expect(worker["key.converter"]).toBe("org.apache.kafka.connect.converters.ByteArrayConverter");
    expect(worker["value.converter"]).toBe("org.apache.kafka.connect.converters.ByteArrayConverter");
  });
});

describe.skipIf(shifted)("docker-compose.yml: MirrorMaker 2", () => {
  it("has one JSON file per connector, equal to mm2Connectors() but for container bootstrap addresses", () => {
    const dir = join(COMPOSE_DIR, "mm2", "connectors");
    const expected = mm2Connectors();
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files.map((f) => f.replace(/\.json$/, "")).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, config] of Object.entries(expected)) {
      const actual: unknown = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
      const withContainerHosts = { ...config };
      for (const key of ["source.cluster.bootstrap.servers", "target.cluster.bootstrap.servers"]) {
        const value = withContainerHosts[key];
        expect(value, `${name} ${key}`).toBeDefined();
        withContainerHosts[key] = toContainerAddresses(value!);
      }
      expect(actual, name).toEqual(withContainerHosts);
    }
    // Both naming schemes' flows are there.
    for (const flow of mm2Flows) {
      for (const connector of Object.values(flow.connectors)) expect(files).toContain(`${connector}.json`);
    }
  });

  it("deploys them with the one-shot mm2-setup service against the worker's REST port", () => {
    const setup = service("mm2-setup");
    expect(setup.image).toMatch(/^curlimages\/curl:/);
    const target = mountTarget(setup, "deploy/compose/mm2");
    expect(target).toBeDefined();
    expect(commandLine(setup.entrypoint)).toEqual(["/bin/sh", `${target}/deploy-connectors.sh`]);
    expect(setup.environment.CONNECT_URL).toBe(`http://${connectWorker.id}:${connectWorker.restPort}`);
    const script = read("deploy/compose/mm2/deploy-connectors.sh");
    expect(script).toContain('"$CONNECT_URL/connectors/$name/config"');
    expect(script).toContain("-X PUT");
  });
});

describe.skipIf(shifted)("docker-compose.yml: Redis", () => {
  const svc = service(redis.id);
  const command = commandLine(svc.command);

  it("is redis:7 with AOF persistence on the sandbox port, published on 127.0.0.1", () => {
    expect(svc.image).toBe("redis:7");
    expect(command[command.indexOf("--appendonly") + 1]).toBe("yes");
    expect(command[command.indexOf("--port") + 1]).toBe(String(redis.port));
    expect(published(svc)).toEqual([
      { ip: HOST, published: redis.port, target: redis.port, protocol: "tcp" },
    ]);
    expect(svc.volumes).toContain("redis-data:/data");
  });
});

describe.skipIf(shifted)("docker-compose.yml: BIND", () => {
  const svc = service(dns.id);
  const confFile = "deploy/compose/bind/named.conf";
  const zoneFile = "deploy/compose/bind/db.dr.test";
  const conf = read(confFile);
  const secret = compose.secrets.tsig_key;

  it("is internetsystemsconsortium/bind9:9.18 publishing the sandbox port over TCP and UDP", () => {
    expect(svc.image).toBe("internetsystemsconsortium/bind9:9.18");
    const ports = published(svc);
    expect(ports).toHaveLength(2);
    expect(ports.map((p) => p.protocol).sort()).toEqual(["tcp", "udp"]);
    for (const p of ports) expect(p).toMatchObject({ ip: HOST, published: dns.port, target: dns.port });
    expect(conf).toMatch(new RegExp(`listen-on port ${dns.port} `));
  });

  it("mounts a named.conf declaring the zone with TSIG update-policy for the key", () => {
    expect(mountTarget(svc, confFile)).toBe("/etc/bind/named.conf");
    const zone = new RegExp(
      `zone "${dns.zone.replace(/\./g, "\\.")}" \\{[^}]*type primary;[^]*?` +
        `update-policy \\{ grant ${dns.keyName} zonesub ANY; \\};`,
    );
    expect(conf).toMatch(zone);
    expect(conf).toContain('include "/run/secrets/tsig_key";');
  });

  it("loads the zone file that points the record at dc1", () => {
    const mounted = mountTarget(svc, zoneFile);
    expect(mounted).toBeDefined();
    const live = /file "([^"]+)";/.exec(conf)?.[1];
    expect(live).toBe(`/var/lib/bind/db.${dns.zone}`);
    // The entrypoint copies the mounted zone into the writable volume (journal lives next to it).
    expect(commandLine(svc.entrypoint).join(" ")).toContain(`${mounted} ${live}`);
    const zone = read(zoneFile);
    expect(zone).toContain(`$ORIGIN ${dns.zone}.`);
    expect(zone).toMatch(/^@\s+IN SOA /m);
    const relative = dns.record.slice(0, -(dns.zone.length + 1));
    expect(zone).toMatch(
      new RegExp(`^${relative}\\s+${dns.ttl}\\s+IN\\s+CNAME\\s+${dns.initialTarget}\\.$`, "m"),
    );
  });

  it("reads the TSIG key from a user-generated, git-ignored file; only a placeholder is committed", () => {
    expect(svc.secrets).toEqual(["tsig_key"]);
    expect(secret?.file).toBe("./deploy/compose/secrets/tsig.key");
    expect(read("deploy/compose/.gitignore")).toMatch(/^secrets\/\*$/m);
    const placeholder = read("deploy/compose/secrets/tsig.key.example");
    expect(placeholder).toContain(`tsig-keygen -a hmac-sha256 ${dns.keyName}`);
    expect(placeholder).not.toMatch(/secret\s+"[A-Za-z0-9+/]{20,}={0,2}"/);
    expect(read("deploy/compose/README.md")).toContain("tsig-keygen");
  });
});

describe.skipIf(shifted)("deploy/compose/switchover.yaml and the switchover service", () => {
  const file = "deploy/compose/switchover.yaml";
  const text = read(file);
  const config = configSchema.parse(parseYaml(text));
  const sandbox = sandboxEnvironment({ root: repoRoot, state: "/sandbox-state", cache: "/sandbox-cache" });

  it("is a valid environment file, references included", () => {
    expect(() => parseConfig(text, file)).not.toThrow();
  });

  it("names the sandbox's clusters, with container bootstrap addresses", () => {
    expect(Object.keys(config.clusters).sort()).toEqual(Object.keys(sandbox.clusters).sort());
    for (const [name, cluster] of Object.entries(sandbox.clusters)) {
      expect(config.clusters[name], name).toEqual({
        ...cluster,
        bootstrapServers: cluster.bootstrapServers.map(toContainerAddresses),
      });
    }
  });

  it("names the sandbox's Connect worker and replication flows", () => {
    expect(Object.keys(config.connect)).toEqual(Object.keys(sandbox.connect));
    for (const [name, worker] of Object.entries(sandbox.connect)) {
      expect(config.connect[name]).toEqual({
        ...worker,
        url: worker.url.replace(`//${HOST}:`, `//${name}:`),
      });
      expect(connectWorkers.map((w) => w.id)).toContain(name);
    }
    expect(config.replication).toEqual(sandbox.replication);
  });

  it("names the sandbox's DNS zone and TSIG key, served by the bind service", () => {
    expect(Object.keys(config.dns)).toEqual(Object.keys(sandbox.dns));
    for (const [name, zone] of Object.entries(sandbox.dns)) {
      const actual = config.dns[name];
      if (zone.provider !== "rfc2136" || actual?.provider !== "rfc2136") throw new Error("rfc2136 expected");
      expect(actual.zone).toBe(zone.zone);
      expect(actual.servers).toEqual([`${dns.id}:${dns.port}`]);
      expect(zone.servers).toEqual([`${HOST}:${dns.port}`]);
      expect({ ...actual.tsig, secret: undefined }).toEqual({ ...zone.tsig, secret: undefined });
      expect(actual.tsig.secret).toEqual({ file: "/run/secrets/tsig_key" });
    }
  });

  it("uses the redis service on the sandbox port", () => {
    expect(config.redis).toEqual({ ...sandbox.redis, url: `redis://${redis.id}:${redis.port}` });
  });

  it("is what the switchover service (built from the Dockerfile) reads", () => {
    const svc = service("switchover");
    expect(svc.build).toBe(".");
    const target = mountTarget(svc, file);
    expect(target).toBeDefined();
    expect(svc.environment.SWITCHOVER_CONFIG).toBe(target);
    expect(svc.secrets).toContain("tsig_key");
  });

  // Issue 18, finding 12: the container ran as `node` with the audit file on a path it could not
  // write, published no port, configured no tokens and had no healthcheck.
  it("writes its audit file to a named volume, at the path the image makes writable for node", () => {
    const svc = service("switchover");
    const audit = svc.environment.SWITCHOVER_AUDIT_JSONL;
    expect(audit).toBeDefined();
    const mount = svc.volumes.map((v) => v.split(":")).find(([, to]) => to && audit!.startsWith(`${to}/`));
    expect(mount, "a volume mounted over the audit file's directory").toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(mount![0]);
    expect(mount![2], "read-write").toBeUndefined();
    const dockerfile = read("Dockerfile");
    const dir = audit!.slice(0, audit!.lastIndexOf("/"));
    expect(dockerfile).toContain(`mkdir -p ${dir}`);
    expect(dockerfile).toMatch(new RegExp(`chown node:node ${dir}`));
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it("publishes the API on 127.0.0.1:8080 and checks its readiness", () => {
    const svc = service("switchover");
    expect(published(svc)).toEqual([{ ip: HOST, published: 8080, target: 8080, protocol: "tcp" }]);
    const test = svc.healthcheck?.test;
    expect([test].flat().join(" ")).toContain("http://127.0.0.1:8080/readyz");
  });

  it("reads its API tokens (hashes only) from the api_tokens secret that make-tokens.sh writes", () => {
    const svc = service("switchover");
    expect(svc.secrets).toContain("api_tokens");
    expect(compose.secrets.api_tokens?.file).toBe("./deploy/compose/secrets/api-tokens.yaml");
    expect(config.service.auth.tokensFile).toBe("/run/secrets/api_tokens");
    expect(config.service.auth.tokens).toEqual([]);
    const script = read("deploy/compose/make-tokens.sh");
    expect(script).toContain("secrets/api-tokens.yaml");
    expect(read("deploy/compose/README.md")).toContain("make-tokens.sh");
  });
});

describe.skipIf(shifted)("docker-compose.yml: every service", () => {
  it("publishes on 127.0.0.1 only and uses the bridge network (no network_mode)", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.network_mode, name).toBeUndefined();
      for (const p of published(svc)) expect(p.ip, name).toBe(HOST);
    }
  });

  it("publishes no port twice", () => {
    const all = Object.values(compose.services).flatMap((svc) =>
      published(svc).map((p) => `${p.published}/${p.protocol}`),
    );
    expect(new Set(all).size).toBe(all.length);
  });
});

describe.skipIf(shifted)("Dockerfile", () => {
  it("exists and builds on Node 20, installs from the lockfile and runs npm start", () => {
    const path = join(repoRoot, "Dockerfile");
    expect(existsSync(path)).toBe(true);
    const text = readFileSync(path, "utf8");
    const from = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(from).toEqual(["node:20-slim"]);
    expect(text).toMatch(/^RUN npm ci\b/m);
    expect(text).toMatch(/^CMD \["npm", "start"\]$/m);
  });
});
