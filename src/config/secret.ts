// Secret references: config files name where a secret lives (env var or file), never the value.
// A resolved Secret hides its value from JSON, inspection and string conversion.
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { z } from "zod";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { SecretSource } from "../engine/ports/secret-source.js";

export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().min(1).describe("name of an environment variable holding the secret") }),
  z.strictObject({
    file: z.string().min(1).describe("path of a file holding the secret (trailing newline trimmed)"),
  }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

const REDACTED = "[redacted]";

/**
 * Every secret value this process has resolved, so text that carries one (a webhook URL built from
 * `${{ secrets.HOOK }}`, an error quoting it) is masked wherever it is redacted, whatever its key.
 * Values shorter than MIN_MASKED are not masked: they would blank unrelated text.
 */
const known = new Set<string>();
const MIN_MASKED = 6;

/** Replaces every resolved secret value in `text` with "[redacted]". */
export function maskSecretValues(text: string): string {
  let out = text;
  for (const value of known) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    if (value.length >= MIN_MASKED) known.add(value);
  }
  /** The only way to read the value; call it at the point of use, never to log. */
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

/** A secret the configuration names is not there: a precise configuration error, never INTERNAL. */
export class SecretResolutionError extends SwitchoverError {
  constructor(
    message: string,
    readonly ref: SecretRef,
  ) {
    super(ErrorCode.Configuration, message, {
      details: "env" in ref ? { env: ref.env } : { file: ref.file },
    });
    this.name = "SecretResolutionError";
  }
}

export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Secret {
  if ("env" in ref) {
    const value = env[ref.env];
    if (value === undefined || value === "") {
      throw new SecretResolutionError(`secret environment variable ${ref.env} is not set`, ref);
    }
    return new Secret(value);
  }
  try {
    return new Secret(readFileSync(ref.file, "utf8").replace(/\r?\n$/, ""));
  } catch (err) {
    const reason = err instanceof Error && "code" in err ? String(err.code) : "unreadable";
    throw new SecretResolutionError(`secret file ${ref.file} cannot be read (${reason})`, ref);
  }
}

/** The environment's named secrets as the engine reads them (`${{ secrets.NAME }}` in step inputs). */
export function secretSource(secrets: Readonly<Record<string, SecretRef>>): SecretSource {
  return {
    read: (name) => {
      const ref = secrets[name];
      if (!ref)
        throw new SwitchoverError(ErrorCode.Configuration, `the environment defines no secret ${name}`);
      return resolveSecret(ref).reveal();
    },
    mask: maskSecretValues,
  };
}

/** Webhook headers from the config: literal values, or secret refs resolved once at start-up. */
export function resolveHeaders(
  headers: Readonly<Record<string, string | SecretRef>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, typeof v === "string" ? v : resolveSecret(v).reveal()]),
  );
}
