// Reads and validates the environment file once; problems name the file, line and path.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import type { Node } from "yaml";
import { z } from "zod";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import { apiTokenSchema, configSchema } from "./schema.js";
import type { Config } from "./schema.js";

export class ConfigError extends SwitchoverError {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(ErrorCode.Configuration, `${message}\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

function locate(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: PropertyKey[]): string {
  let node: unknown = doc.contents;
  let found: Node | undefined;
  for (const key of path) {
    if (!node || typeof node !== "object" || !("get" in node)) break;
    const next: unknown = (node as { get(k: unknown, keep: boolean): unknown }).get(key, true);
    if (!next) break;
    node = next;
    found = next as Node;
  }
  const offset = found?.range?.[0] ?? doc.contents?.range?.[0] ?? 0;
  const { line, col } = lc.linePos(offset);
  return `${line}:${col}`;
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    "",
  );
}

export function parseConfig(text: string, file = "<config>"): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      `${file} is not valid YAML`,
      doc.errors.map((e) => `${file}:${e.linePos?.[0].line ?? 0}:${e.linePos?.[0].col ?? 0} ${e.message}`),
    );
  }
  if (!isMap(doc.contents)) throw new ConfigError(`${file} must be a YAML mapping`, []);
  const result = configSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!result.success) {
    throw new ConfigError(
      `${file} is not a valid switchover environment`,
      result.error.issues.map(
        (i) => `${file}:${locate(doc, lc, i.path)} ${formatPath(i.path) || "(root)"}: ${i.message}`,
      ),
    );
  }
  return crossCheck(result.data, file);
}

/** References between sections must resolve: replication → clusters/connect, connect → clusters. */
function crossCheck(config: Config, file: string): Config {
  const problems: string[] = [];
  for (const [id, flow] of Object.entries(config.replication)) {
    for (const side of ["source", "target"] as const) {
      if (!config.clusters[flow[side]]) {
        problems.push(`${file} replication.${id}.${side}: unknown cluster "${flow[side]}"`);
      }
    }
    if (flow.connect && !config.connect[flow.connect]) {
      problems.push(`${file} replication.${id}.connect: unknown connect worker "${flow.connect}"`);
    }
  }
  for (const [id, worker] of Object.entries(config.connect)) {
    if (!config.clusters[worker.cluster]) {
      problems.push(`${file} connect.${id}.cluster: unknown cluster "${worker.cluster}"`);
    }
  }
  for (const [id, fleet] of Object.entries(config.consumers)) {
    if (fleet.cluster && !config.clusters[fleet.cluster]) {
      problems.push(`${file} consumers.${id}.cluster: unknown cluster "${fleet.cluster}"`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`${file} has unresolved references`, problems);
  return config;
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = err instanceof Error && "code" in err ? String(err.code) : "unreadable";
    throw new ConfigError(`cannot read config file ${file} (${reason})`, [
      "set SWITCHOVER_CONFIG to an environment file; `npm run sandbox -- up` writes .sandbox/switchover.yaml",
    ]);
  }
  return withTokensFile(parseConfig(text, file), file);
}

const tokensFileSchema = z.strictObject({ tokens: z.array(apiTokenSchema) });

/** Merges service.auth.tokensFile into service.auth.tokens; a principal name appears once. */
function withTokensFile(config: Config, file: string): Config {
  const auth = config.service.auth;
  let tokens = auth.tokens;
  if (auth.tokensFile !== undefined) {
    const path = resolve(dirname(file), auth.tokensFile);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      const reason = err instanceof Error && "code" in err ? String(err.code) : "unreadable";
      throw new ConfigError(`${file} service.auth.tokensFile: cannot read ${path} (${reason})`, []);
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc });
    const result = tokensFileSchema.safeParse(doc.errors.length > 0 ? undefined : doc.toJS());
    if (!result.success) {
      throw new ConfigError(
        `${path} (service.auth.tokensFile) is not a valid tokens file: {tokens: [{name, sha256, roles}]}`,
        result.error.issues.map(
          (i) => `${path}:${locate(doc, lc, i.path)} ${formatPath(i.path) || "(root)"}: ${i.message}`,
        ),
      );
    }
    tokens = [...tokens, ...result.data.tokens];
  }
  const seen = new Set<string>();
  const twice = tokens.filter((t) => (seen.has(t.name) ? true : (seen.add(t.name), false)));
  if (twice.length > 0) {
    throw new ConfigError(
      `${file} service.auth: every token names one principal`,
      twice.map((t) => `token name "${t.name}" appears twice`),
    );
  }
  return { ...config, service: { ...config.service, auth: { ...auth, tokens } } };
}
