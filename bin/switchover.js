#!/usr/bin/env node
// The `switchover` command. In a clone (src/ present) it runs the TypeScript source through tsx's
// loader, so `npx switchover` works right after `npm ci` with no build step; a package built with
// `npm run build` (dist/, no src/) runs the compiled JavaScript instead.
import { existsSync } from "node:fs";
import { URL, fileURLToPath } from "node:url";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/src/cli/main.js", import.meta.url).href);
}
