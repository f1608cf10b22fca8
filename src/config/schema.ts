// The environment file switchover reads at boot (and the sandbox writes): named targets that
// runbooks refer to by name. Addresses and secret references live here, never in runbooks.
import { z } from "zod";
import { secretRefSchema } from "./secret.js";

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and '-', at most 63 characters");
const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, "host:port")
  .describe("host:port");
const httpUrl = z.url({ protocol: /^https?$/ });

export const saslSchema = z.strictObject({
  mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
  username: z.string().min(1),
  password: secretRefSchema,
});

export const tlsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
});

export const clusterSchema = z.strictObject({
  description: z.string().optional(),
  bootstrapServers: z.array(hostPort).min(1),
  /** Datacenter of a single-site cluster; stretched clusters list racks per DC instead. */
  datacenter: z.string().optional(),
  /** Stretched clusters: which broker racks belong to which datacenter (rack = DC by default). */
  racks: z.record(z.string(), z.array(z.string()).min(1)).optional(),
  /**
   * Datacenter of KRaft voters that are not brokers (controller-only nodes have no broker.rack in
   * metadata): node id → DC. Read by the DR posture report's quorum check.
   */
  controllerDatacenters: z.record(z.string().regex(/^\d+$/, "a node id"), z.string().min(1)).optional(),
  sasl: saslSchema.optional(),
  tls: tlsSchema.optional(),
  clientId: z.string().default("switchover"),
  connectionTimeoutMs: z.number().int().positive().default(5_000),
  requestTimeoutMs: z.number().int().positive().default(15_000),
});

export const connectSchema = z.strictObject({
  url: httpUrl,
  /** Cluster whose brokers hold the Connect worker's internal topics. */
  cluster: name,
  basicAuth: z.strictObject({ username: z.string(), password: secretRefSchema }).optional(),
  timeoutMs: z.number().int().positive().default(10_000),
});

export const replicationSchema = z.strictObject({
  description: z.string().optional(),
  source: name,
  target: name,
  /** MM2 cluster aliases; default to the cluster names. */
  sourceAlias: z.string().optional(),
  targetAlias: z.string().optional(),
  /** identity: orders → orders; prefixed: orders → <sourceAlias><separator>orders. */
  naming: z.enum(["identity", "prefixed"]),
  separator: z.string().min(1).default("."),
  /** Source-topic regex MM2 replicates in this flow. */
  topics: z.string().default(".*"),
  /** Connect worker (by name in `connect`) that runs the flow's connectors. */
  connect: name.optional(),
  /** Connector names of the flow on that worker. */
  connectors: z
    .strictObject({
      source: z.string(),
      checkpoint: z.string(),
      heartbeat: z.string().optional(),
    })
    .optional(),
});

export const dnsZoneSchema = z.discriminatedUnion("provider", [
  z.strictObject({
    provider: z.literal("rfc2136"),
    zone: z.string().min(1),
    /** Authoritative servers: updates go to the first, verification reads all. */
    servers: z.array(hostPort).min(1),
    tsig: z.strictObject({
      name: z.string().min(1),
      algorithm: z.enum(["hmac-sha256", "hmac-sha512"]).default("hmac-sha256"),
      /** Base64 key material (a BIND key file's `secret` value, or a key file itself). */
      secret: secretRefSchema,
    }),
    timeoutMs: z.number().int().positive().default(5_000),
  }),
  z.strictObject({
    provider: z.literal("route53"),
    zone: z.string().min(1),
    hostedZoneId: z.string().min(1),
    region: z.string().default("us-east-1"),
    timeoutMs: z.number().int().positive().default(10_000),
  }),
]);

export const consumerFleetSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("webhook"),
    cluster: name.optional(),
    groups: z.array(z.string().min(1)).default([]),
    pause: z.strictObject({
      url: httpUrl,
      method: z.enum(["POST", "PUT", "PATCH", "DELETE"]).default("POST"),
    }),
    resume: z.strictObject({
      url: httpUrl,
      method: z.enum(["POST", "PUT", "PATCH", "DELETE"]).default("POST"),
    }),
    headers: z.record(z.string(), z.union([z.string(), secretRefSchema])).default({}),
    expectStatus: z.array(z.number().int()).default([200, 202, 204]),
    timeoutMs: z.number().int().positive().default(5_000),
    retries: z.number().int().min(0).max(10).default(2),
  }),
  z.strictObject({
    kind: z.literal("kubernetes"),
    cluster: name.optional(),
    groups: z.array(z.string().min(1)).default([]),
    apiServer: httpUrl,
    namespace: z.string().min(1),
    workload: z.strictObject({ kind: z.enum(["Deployment", "StatefulSet"]), name: z.string().min(1) }),
    token: secretRefSchema,
    caFile: z.string().optional(),
    timeoutMs: z.number().int().positive().default(10_000),
  }),
]);

export const ROLES = ["viewer", "operator", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** A bearer token the API accepts: only its SHA-256 (hex) is configured, never the token itself. */
export const apiTokenSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/, "letters, digits, '.', '_', '@', '-'"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits: sha256 of the token"),
  roles: z.array(z.enum(ROLES)).min(1),
});

/**
 * Server approval policy (issue 18). `all`: every real run waits for approval before its first
 * change, whatever its runbook says; `runbook`: only the runbook's own gates wait; `none`: gates
 * pass without waiting (labs and tests only; recorded as approved by the policy).
 */
export const approvalsSchema = z.strictObject({
  required: z.enum(["all", "runbook", "none"]).default("all"),
  /** Distinct approvers needed (N of the M tokens that may approve); never the requester. */
  approvers: z.number().int().min(1).max(10).default(1),
  /** A request for approval not granted within this time expires; the run then fails. */
  expiresAfterSeconds: z.number().int().min(1).max(604_800).default(3_600),
  /**
   * Notified (POST, JSON) when an admin breaks glass; under an http.allow prefix. Break glass is
   * also logged at warn level and audited, webhook or not.
   */
  breakGlassWebhook: z
    .strictObject({
      url: httpUrl,
      headers: z.record(z.string(), z.union([z.string(), secretRefSchema])).default({}),
    })
    .optional(),
});
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;

/** The HTTP service and its worker (additive section: environments without it get the defaults). */
export const serviceSchema = z.strictObject({
  auth: z
    .strictObject({
      tokens: z.array(apiTokenSchema).default([]),
      /**
       * A YAML file `{tokens: [...]}` of more tokens (same fields), merged at load; relative to the
       * environment file. For hashes generated per installation (docker compose's api_tokens secret).
       */
      tokensFile: z.string().min(1).optional(),
    })
    .default({ tokens: [] }),
  /**
   * The requester of a run can never approve it. Kept so environment files that say `true` still
   * load; `false` is refused (use `approvals.required: none` for a lab, or break glass).
   */
  twoPersonRule: z
    .literal(true, {
      error:
        "the requester can never approve their own run; for a lab set approvals.required: none, in an incident an admin breaks glass",
    })
    .default(true),
  /** Which real runs need a second person, how many, and for how long a request stands. */
  approvals: approvalsSchema.prefault({}),
  /** Directory of runbook files (*.yaml, *.yml), relative to the working directory. */
  runbooksDir: z.string().min(1).default("runbooks"),
  /** Runbooks the operator role may run for real (dry-runs of any runbook are allowed); "*" = all. */
  operatorRunbooks: z.array(z.string().min(1)).default([]),
  limits: z
    .strictObject({
      /** JSON request bodies. */
      bodyBytes: z.number().int().positive().max(10_485_760).default(65_536),
      /** Runbook documents posted to /v1/runbooks/validate. */
      runbookBytes: z.number().int().positive().max(10_485_760).default(1_048_576),
      /** Concurrent SSE streams per process. */
      sseClients: z.number().int().positive().default(200),
      /** Concurrent SSE streams one principal (token) may hold in one process, so one viewer cannot take them all. */
      sseStreamsPerPrincipal: z.number().int().positive().default(10),
      /** How long an Idempotency-Key is remembered. */
      idempotencyTtlSeconds: z.number().int().positive().default(86_400),
      maxListLimit: z.number().int().positive().max(1_000).default(500),
    })
    .prefault({}),
  /** Pre-flight evaluation of every runbook with its default params, on an interval. */
  evaluation: z
    .strictObject({
      /** Seconds between passes; 0 turns the periodic evaluation off (on request it always works). */
      intervalSeconds: z.number().int().min(0).max(86_400).default(1_800),
      /** Seconds after start before the first pass. */
      initialDelaySeconds: z.number().int().min(0).max(86_400).default(60),
      /** Per step: a check without an answer in this time is blocked. */
      stepTimeoutMs: z.number().int().positive().max(300_000).default(20_000),
      /** POSTed (JSON) when a runbook turns blocked; the URL must lie under an http.allow prefix. */
      webhook: z
        .strictObject({
          url: httpUrl,
          headers: z.record(z.string(), z.union([z.string(), secretRefSchema])).default({}),
        })
        .optional(),
    })
    .prefault({}),
  queue: z
    .strictObject({
      /** Runs driven at once by one worker process. */
      concurrency: z.number().int().positive().max(256).default(8),
      /** BullMQ job lock; renewed at half. A killed worker's job is retaken after this. */
      lockDurationMs: z.number().int().positive().default(30_000),
      stalledIntervalMs: z.number().int().positive().default(15_000),
      /** Resuming is safe (steps converge), so tolerate several worker deaths per run. */
      maxStalledCount: z.number().int().min(0).default(5),
      /** Per-run execution lease, renewed while a worker drives the run. */
      leaseMs: z.number().int().positive().default(30_000),
      /** SIGTERM: how long in-flight runs may take to finish before they are parked. */
      shutdownGraceMs: z.number().int().nonnegative().default(20_000),
      /** How often a worker looks for queued or running runs that no job will drive any more. */
      reconcileIntervalMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
});
export type ServiceConfig = z.infer<typeof serviceSchema>;

export const configSchema = z
  .strictObject({
    apiVersion: z.literal("switchover/v1"),
    kind: z.literal("Environment"),
    clusters: z.record(name, clusterSchema).default({}),
    connect: z.record(name, connectSchema).default({}),
    replication: z.record(name, replicationSchema).default({}),
    dns: z.record(name, dnsZoneSchema).default({}),
    consumers: z.record(name, consumerFleetSchema).default({}),
    redis: z
      .strictObject({
        /** redis://, rediss:// (TLS) or redis+sentinel://host:port,host:port/master (Sentinel HA). */
        url: z
          .string()
          .regex(/^(rediss?|redis\+sentinel):\/\//, "redis://, rediss:// or redis+sentinel:// URL"),
        password: secretRefSchema.optional(),
        prefix: z.string().default("switchover"),
        /**
         * A run start is answered only once a connected replica has its writes (WAIT 1 <ms>); past
         * this the start is refused (503) and the run cancelled. Not used when no replica is attached.
         */
        replicaAckTimeoutMs: z.number().int().min(1).max(60_000).default(2_000),
      })
      .default({ url: "redis://127.0.0.1:6379", prefix: "switchover", replicaAckTimeoutMs: 2_000 }),
    http: z
      .strictObject({
        /** URL prefixes that `http.request` and `notify` steps may call. */
        allow: z.array(httpUrl).default([]),
      })
      .default({ allow: [] }),
    /**
     * Secrets runbooks may reference as `${{ secrets.NAME }}` in step inputs (webhook URLs, headers):
     * resolved when the step runs, never stored, shown or audited resolved.
     */
    secrets: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "letters, digits and _, not starting with a digit"),
        secretRefSchema,
      )
      .default({}),
    service: serviceSchema.prefault({}),
  })
  .check((ctx) => {
    // The evaluation webhook follows the same outbound rule as http.request and notify.
    const hooks = [
      { hook: ctx.value.service.evaluation.webhook, path: ["service", "evaluation", "webhook", "url"] },
      {
        hook: ctx.value.service.approvals.breakGlassWebhook,
        path: ["service", "approvals", "breakGlassWebhook", "url"],
      },
    ];
    for (const { hook, path } of hooks) {
      if (hook && !ctx.value.http.allow.some((prefix) => hook.url.startsWith(prefix))) {
        ctx.issues.push({
          code: "custom",
          input: hook.url,
          path,
          message: "not under any http.allow prefix",
        });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type ConnectConfig = z.infer<typeof connectSchema>;
export type ReplicationConfig = z.infer<typeof replicationSchema>;
export type DnsZoneConfig = z.infer<typeof dnsZoneSchema>;
export type ConsumerFleetConfig = z.infer<typeof consumerFleetSchema>;
