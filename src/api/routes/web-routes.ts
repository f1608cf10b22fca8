// The web page at `/`: static HTML, CSS and ES modules from web/ (no build step), served with a
// strict Content-Security-Policy — everything from this origin, nothing inline, nothing framed.
// The page authenticates its own API calls with the bearer token the user enters; no cookies.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import express, { Router } from "express";

/** web/ beside src/ — from the sources (tsx) or from a build under dist/. */
export function webDir(): string {
  const candidates = [
    resolve(import.meta.dirname, "../../../web"),
    resolve(import.meta.dirname, "../../../../web"),
  ];
  const found = candidates.find((d) => existsSync(resolve(d, "index.html")));
  if (!found) throw new Error(`web assets not found (looked in ${candidates.join(", ")})`);
  return found;
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

export function webRoutes(dir: string = webDir()): Router {
  const r = Router();
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
