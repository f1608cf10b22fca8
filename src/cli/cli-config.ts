// The CLI's contexts, like kubectl's: a YAML file of named contexts (service URL + where the token
// is), one of them current. A token is never a flag (flags show in `ps`) and never copied into the
// file: a context names an environment variable or a file (optionally one key of a JSON file, such
// as the sandbox's tokens.json), read at the moment of the request.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { usageError } from "./cli-error.js";

const tokenSource = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name") }),
  z.strictObject({
    file: z.string().min(1),
    /** The file is JSON and the token is this key's value (the sandbox's tokens.json). */
    key: z.string().min(1).optional(),
  }),
]);
export type TokenSource = z.infer<typeof tokenSource>;

const contextSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  token: tokenSource,
});
export type CliContext = z.infer<typeof contextSchema>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const fileSchema = z.strictObject({
  currentContext: z.string().regex(NAME).optional(),
  contexts: z
    .record(z.string().regex(NAME, "a context name: letters, digits, . _ -"), contextSchema)
    .default({}),
});
export type CliConfigFile = z.infer<typeof fileSchema>;

export function isContextName(name: string): boolean {
  return NAME.test(name);
}

/** $SWITCHOVER_CLI_CONFIG, else $XDG_CONFIG_HOME/switchover/config.yaml (~/.config by default). */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.SWITCHOVER_CLI_CONFIG) return resolve(env.SWITCHOVER_CLI_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "switchover", "config.yaml");
}

export function loadConfigFile(path: string): CliConfigFile {
  if (!existsSync(path)) return { contexts: {} };
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8")) ?? {};
  } catch (err) {
    throw usageError(`${path}: not YAML (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
    throw usageError(`${path}: ${where.join("; ")}`);
  }
  return parsed.data;
}

/** Written 0600: it names where tokens are, which is nobody else's business either. */
export function saveConfigFile(path: string, file: CliConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const header =
    "# switchover CLI contexts (switchover context --help). Tokens are referenced, never stored.\n";
  writeFileSync(path, header + stringify(file), { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function readToken(source: TokenSource, env: NodeJS.ProcessEnv): string {
  if ("env" in source) {
    const v = env[source.env]?.trim();
    if (!v) throw usageError(`the token's environment variable ${source.env} is not set`);
    return v;
  }
  let text: string;
  try {
    text = readFileSync(source.file, "utf8");
  } catch (err) {
    throw usageError(
      `cannot read the token file ${source.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (source.key === undefined) {
    const v = text.trim();
    if (!v) throw usageError(`the token file ${source.file} is empty`);
    return v;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw usageError(`the token file ${source.file} is not JSON (the context names key ${source.key})`);
  }
  const v = (doc as Record<string, unknown> | null)?.[source.key];
  if (typeof v !== "string" || !v)
    throw usageError(`the token file ${source.file} has no string at key ${source.key}`);
  return v;
}

export interface Target {
  /** The context's name, or "(environment)" when SWITCHOVER_URL and SWITCHOVER_TOKEN are used. */
  context: string;
  url: string;
  token: string;
}

/**
 * Where a command talks to, in this order: SWITCHOVER_URL + SWITCHOVER_TOKEN (CI, no file needed);
 * else the context named by --context, SWITCHOVER_CONTEXT or the file's currentContext.
 */
export function resolveTarget(env: NodeJS.ProcessEnv, contextFlag: string | undefined): Target {
  if (!contextFlag && env.SWITCHOVER_URL && env.SWITCHOVER_TOKEN) {
    return {
      context: "(environment)",
      url: env.SWITCHOVER_URL.replace(/\/+$/, ""),
      token: env.SWITCHOVER_TOKEN.trim(),
    };
  }
  const path = configPath(env);
  const file = loadConfigFile(path);
  const name = contextFlag ?? env.SWITCHOVER_CONTEXT ?? file.currentContext;
  if (!name) {
    throw usageError(
      `no context: create one with \`switchover context set <name> --url <url> --token-env <VAR>\` ` +
        `(or \`switchover context import-sandbox\`), or set SWITCHOVER_URL and SWITCHOVER_TOKEN (config: ${path})`,
    );
  }
  const ctx = file.contexts[name];
  if (!ctx) {
    const known = Object.keys(file.contexts);
    throw usageError(
      `no context named ${name} in ${path}${known.length ? ` (known: ${known.join(", ")})` : ""}`,
    );
  }
  return { context: name, url: ctx.url.replace(/\/+$/, ""), token: readToken(ctx.token, env) };
}

export function describeTokenSource(s: TokenSource): string {
  if ("env" in s) return `env ${s.env}`;
  return s.key ? `file ${s.file} (key ${s.key})` : `file ${s.file}`;
}
