// The web page at `/`: static HTML, CSS and ES modules from web/ (no build step), served with a
// strict Content-Security-Policy — everything from this origin, nothing inline, nothing framed.
// The page authenticates its own API calls with the bearer token the user enters; no cookies.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import express, { Router } from "express";
import { ApiProblem, ProblemType } from "../problem.js";

/**
 * The web/ directory of the checkout: SWITCHOVER_WEB_DIR, else the nearest `web/index.html` above
 * this module — which works from the sources (tsx), a tsc build under dist/ and an esbuild bundle.
 */
export function webDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SWITCHOVER_WEB_DIR) return resolve(env.SWITCHOVER_WEB_DIR);
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "web", "index.html"))) return join(dir, "web");
    if (dirname(dir) === dir) return undefined;
  }
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function webRoutes(dir: string | undefined): Router {
  const r = Router();
  // Without the assets the API still serves /v1; `/` then says what is missing.
  if (dir === undefined) {
    r.get("/", (_req, _res, next) => {
      next(
        new ApiProblem(
          404,
          ProblemType.NotFound,
          "Not found",
          "the web page's assets (web/index.html) are not installed with this build; set SWITCHOVER_WEB_DIR",
        ),
      );
    });
    return r;
  }
  r.use((req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    res.set({
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      // Small files, changed by deploys: always revalidate, never serve a stale module graph.
      "Cache-Control": "no-cache",
    });
    next();
  });
  r.use(
    express.static(dir, {
      index: "index.html",
      dotfiles: "ignore",
      redirect: false,
      fallthrough: true,
      setHeaders(res, path) {
        if (path.endsWith(".js")) res.type("text/javascript; charset=utf-8");
      },
    }),
  );
  return r;
}
