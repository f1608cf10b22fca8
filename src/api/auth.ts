// Bearer-token authentication against the configured SHA-256 hashes, and role checks. 401 when the
// token is missing or unknown; 403 when it is valid but its roles do not allow the operation.
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler, Response } from "express";
import type { Role } from "../config/schema.js";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import { hasRole } from "../runs/principal.js";
import type { Principal } from "../runs/principal.js";
import { ApiProblem, ProblemType } from "./problem.js";

export interface TokenEntry {
  name: string;
  sha256: string;
  roles: readonly Role[];
}

export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error("route reached without authentication");
  return p;
}

function unauthorized(detail: string): ApiProblem {
  return new ApiProblem(401, ProblemType.Unauthorized, "Unauthorized", detail, {
    headers: { "WWW-Authenticate": 'Bearer realm="switchover"' },
  });
}

/** Authenticates every request it guards; the principal is in res.locals.principal afterwards. */
export function authenticate(tokens: readonly TokenEntry[]): RequestHandler {
  const hashes = tokens.map((t) => ({ entry: t, digest: Buffer.from(t.sha256, "hex") }));
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) return next(unauthorized("missing Authorization: Bearer <token>"));
    const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!m) return next(unauthorized("Authorization must be `Bearer <token>`"));
    const digest = createHash("sha256").update(m[1]!, "utf8").digest();
    // Compare against every configured hash, so timing says nothing about which one matched.
    let found: TokenEntry | undefined;
    for (const h of hashes) if (timingSafeEqual(h.digest, digest) && !found) found = h.entry;
    if (!found) return next(unauthorized("unknown or revoked token"));
    res.locals.principal = { name: found.name, roles: found.roles } satisfies Principal;
    next();
  };
}

/** Lets the request through only if the principal has one of the roles (admin always does). */
export function requireRole(...allowed: Role[]): RequestHandler {
  return (_req, res, next) => {
    const p = principalOf(res);
    if (hasRole(p, ...allowed)) return next();
    next(
      new SwitchoverError(
        ErrorCode.Forbidden,
        `token "${p.name}" (roles: ${p.roles.join(", ")}) needs one of: ${[...allowed, "admin"].join(", ")}`,
      ),
    );
  };
}
