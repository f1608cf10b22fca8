// The process environment switchover reads, as one zod schema parsed once at boot: a bad value fails
// the start with every problem named, instead of surfacing later as a strange runtime error.
import { z } from "zod";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";

const port = z.coerce.number().int().min(0).max(65_535);

export const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** The environment file (src/config/schema.ts). */
  SWITCHOVER_CONFIG: z.string().min(1).default(".sandbox/switchover.yaml"),
  /** all: API and worker in one process; api or worker: one of them (scale each out separately). */
  SWITCHOVER_MODE: z.enum(["all", "api", "worker"]).default("all"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Overrides the config's redis.url: redis://, rediss:// (TLS) or redis+sentinel://h:p,h:p/master. */
  REDIS_URL: z
    .string()
    .regex(/^(rediss?|redis\+sentinel):\/\//, "redis://, rediss:// or redis+sentinel:// URL")
    .optional(),
  /** Local JSONL copy of the audit log (fsync'd); default: audit.jsonl beside the config file. */
  SWITCHOVER_AUDIT_JSONL: z.string().min(1).optional(),
  /** Trust X-Forwarded-* from this many proxies (express "trust proxy"). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends SwitchoverError {
  constructor(readonly problems: string[]) {
    super(ErrorCode.Configuration, `invalid environment:\n  ${problems.join("\n  ")}`);
    this.name = "EnvError";
  }
}

/** Parses the process environment; values are never echoed back (they may be secrets). */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`));
  }
  return result.data;
}
