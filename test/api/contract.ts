// The contract test's instrument: every response an API test sees goes through `call`, which checks
// that the status is documented for the operation and that the body matches the OpenAPI document's
// schema for that status and media type (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv/dist/2020.js";
import type { Express } from "express";
import request from "supertest";
import type { Response } from "supertest";
import { parse } from "yaml";

interface MediaObject {
  schema?: { $ref?: string } & Record<string, unknown>;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaObject>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>;
  components: { responses: Record<string, ResponseObject> };
}

const doc = parse(
  readFileSync(resolve(import.meta.dirname, "../../openapi/switchover.yaml"), "utf8"),
) as OpenApiDoc;

// The document uses no `format` keywords: structure, types, patterns and enums carry the contract.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({
  $id: "switchover-openapi",
  components: (doc as unknown as { components: unknown }).components,
});

const METHODS = ["get", "post", "put", "patch", "delete"];

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  op: Operation;
}

const routes: Route[] = [];
for (const [template, item] of Object.entries(doc.paths)) {
  for (const method of METHODS) {
    const op = item[method] as Operation | undefined;
    if (!op) continue;
    const regex = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    routes.push({ method: method.toUpperCase(), template, regex, op });
  }
}

/** Every operation in the document, for tests that must cover each one. */
export const operations = routes.map((r) => ({
  method: r.method,
  template: r.template,
  id: r.op.operationId,
}));

/** Operations (and statuses) the tests have seen answered, for the coverage check. */
export const seen = new Map<string, Set<number>>();

const validators = new Map<string, ValidateFunction>();
function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    const ref = typeof schema.$ref === "string" ? schema.$ref : undefined;
    v = ref
      ? ajv.compile({ $ref: `switchover-openapi${ref}` })
      : ajv.compile({ ...schema, $defs: undefined });
    validators.set(key, v);
  }
  return v;
}

function deref(r: ResponseObject): ResponseObject {
  if (!r.$ref) return r;
  const name = r.$ref.split("/").pop()!;
  return doc.components.responses[name]!;
}

/** Throws unless the response matches the document. Returns the matched operation id. */
export function checkContract(method: string, path: string, res: Response): string {
  const pathname = path.split("?")[0]!;
  const route = routes.find((r) => r.method === method && r.regex.test(pathname));
  const mediaType = String(res.headers["content-type"] ?? "")
    .split(";")[0]!
    .trim();
  if (!route) {
    // Unknown routes still answer with a problem; a documented path with another method gets 405
    // with an Allow header naming exactly the documented methods (GET implies HEAD).
    const documented = new Set(routes.filter((r) => r.regex.test(pathname)).map((r) => r.method));
    if (documented.has("GET")) documented.add("HEAD");
    if (res.status === 405) {
      const allow = String(res.headers.allow ?? "");
      const expected = [...documented].sort().join(", ");
      if (documented.size === 0 || allow !== expected)
        throw new Error(`${method} ${path}: 405 with Allow "${allow}", expected "${expected}"`);
    } else if (res.status !== 404 && res.status !== 401)
      throw new Error(`${method} ${path}: undocumented route answered ${res.status}`);
    if (mediaType !== "application/problem+json")
      throw new Error(`${method} ${path}: expected problem+json, got ${mediaType}`);
    return "unmatched";
  }
  const spec = route.op.responses[String(res.status)];
  if (!spec) {
    throw new Error(
      `${method} ${route.template} (${route.op.operationId}) answered ${res.status}, which the document does not list: ${res.text?.slice(0, 300)}`,
    );
  }
  const resolved = deref(spec);
  const key = `${route.method} ${route.template}`;
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key)!.add(res.status);
  if (!resolved.content) {
    if (res.text && res.text.length > 0)
      throw new Error(`${key} ${res.status}: document says no body, got ${res.text.slice(0, 100)}`);
    return route.op.operationId;
  }
  const media = resolved.content[mediaType];
  if (!media) {
    throw new Error(
      `${key} ${res.status}: media type ${mediaType} not in the document (${Object.keys(resolved.content).join(", ")})`,
    );
  }
  if (!media.schema || mediaType === "text/event-stream") return route.op.operationId;
  const body: unknown = mediaType.endsWith("json") ? JSON.parse(res.text) : res.text;
  const validate = validatorFor(media.schema);
  if (!validate(body)) {
    throw new Error(
      `${key} ${res.status} ${mediaType}: body does not match the document: ${ajv.errorsText(validate.errors, { separator: "; " })}\n${res.text.slice(0, 500)}`,
    );
  }
  return route.op.operationId;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Raw body text (sent as is, with contentType). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  accept?: string;
}

/** Sends a request to the app and checks the response against the contract before returning it. */
export async function call(
  app: Express,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Response> {
  let req = request(app)[method.toLowerCase() as "get"](path);
  if (opts.token !== undefined) req = req.set("Authorization", `Bearer ${opts.token}`);
  if (opts.accept) req = req.set("Accept", opts.accept);
  for (const [k, v] of Object.entries(opts.headers ?? {})) req = req.set(k, v);
  if (opts.raw !== undefined) {
    req = req.set("Content-Type", opts.contentType ?? "application/json").send(opts.raw);
  } else if (opts.body !== undefined) {
    req = req.set("Content-Type", opts.contentType ?? "application/json").send(JSON.stringify(opts.body));
  }
  const res = await req;
  checkContract(method.toUpperCase(), path, res);
  return res;
}
