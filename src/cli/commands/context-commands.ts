// `switchover context …`: list, show, use, set, delete contexts, and import the local sandbox's
// (its tokens.json, one context per role, tokens referenced in place, never copied).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import {
  configPath,
  describeTokenSource,
  isContextName,
  loadConfigFile,
  saveConfigFile,
} from "../cli-config.js";
import type { TokenSource } from "../cli-config.js";
import { usageError } from "../cli-error.js";
import type { Session } from "../session.js";

const SANDBOX_ROLES = ["operator", "approver", "admin", "viewer"] as const;

export function contextCommands(program: Command, s: Session): void {
  const ctx = program
    .command("context")
    .description("named service URLs and where their tokens are (like kubectl contexts)");

  ctx
    .command("list")
    .description("the contexts; * marks the current one")
    .action(() => {
      const path = configPath(s.env);
      const file = loadConfigFile(path);
      const names = Object.keys(file.contexts).sort();
      if (s.out.json) {
        s.out.document({
          config: path,
          currentContext: file.currentContext ?? null,
          contexts: names.map((n) => ({ name: n, ...file.contexts[n] })),
        });
        return;
      }
      if (names.length === 0) {
        s.out.line(
          `no contexts in ${path}: switchover context set <name> --url <url> --token-env <VAR>, or switchover context import-sandbox`,
        );
        return;
      }
      const w = Math.max(4, ...names.map((n) => n.length));
      s.out.line(`  ${"NAME".padEnd(w)}  URL                              TOKEN`);
      for (const n of names) {
        const c = file.contexts[n]!;
        s.out.line(
          `${n === file.currentContext ? "*" : " "} ${n.padEnd(w)}  ${c.url.padEnd(32)} ${describeTokenSource(c.token)}`,
        );
      }
    });

  ctx
    .command("current")
    .description("the context commands use now, and its service")
    .action(() => {
      const t = s.target();
      if (s.out.json) s.out.document({ context: t.context, url: t.url });
      else s.out.line(`${t.context}  ${t.url}`);
    });

  ctx
    .command("use")
    .argument("<name>", "a context from `switchover context list`")
    .description("make a context the current one")
    .action((name: string) => {
      const path = configPath(s.env);
      const file = loadConfigFile(path);
      if (!file.contexts[name]) throw usageError(`no context named ${name} in ${path}`);
      saveConfigFile(path, { ...file, currentContext: name });
      s.out.line(`current context: ${name} (${file.contexts[name].url})`);
    });

  ctx
    .command("set")
    .argument("<name>", "context name (letters, digits, . _ -)")
    .description("create or change a context; the token is read from a variable or a file at each call")
    .requiredOption("--url <url>", "the service's base URL, e.g. https://switchover.example.com")
    .option("--token-env <VAR>", "environment variable holding the token")
    .option("--token-file <path>", "file holding the token (alone, or JSON with --token-key)")
    .option("--token-key <key>", "with --token-file: the token is this key of a JSON file")
    .option("--use", "also make it the current context")
    .action(
      (
        name: string,
        o: { url: string; tokenEnv?: string; tokenFile?: string; tokenKey?: string; use?: boolean },
      ) => {
        if (!isContextName(name))
          throw usageError(`context name ${name}: letters, digits, . _ - (at most 63)`);
        if (Boolean(o.tokenEnv) === Boolean(o.tokenFile))
          throw usageError("give exactly one of --token-env or --token-file");
        if (o.tokenKey && !o.tokenFile) throw usageError("--token-key goes with --token-file");
        const token: TokenSource = o.tokenEnv
          ? { env: o.tokenEnv }
          : { file: resolve(o.tokenFile!), ...(o.tokenKey ? { key: o.tokenKey } : {}) };
        const path = configPath(s.env);
        const file = loadConfigFile(path);
        const next = { ...file, contexts: { ...file.contexts, [name]: { url: o.url, token } } };
        if (o.use || !file.currentContext) next.currentContext = name;
        // Validate through the same schema a later load applies (a bad URL fails now, not then).
        saveConfigFile(path, next);
        loadConfigFile(path);
        s.out.line(
          `context ${name}: ${o.url}, token from ${describeTokenSource(token)}${next.currentContext === name ? " (current)" : ""}`,
        );
      },
    );

  ctx
    .command("delete")
    .argument("<name>")
    .description("remove a context")
    .action((name: string) => {
      const path = configPath(s.env);
      const file = loadConfigFile(path);
      if (!file.contexts[name]) throw usageError(`no context named ${name} in ${path}`);
      const { [name]: _gone, ...rest } = file.contexts;
      const next = { ...file, contexts: rest };
      if (next.currentContext === name) delete next.currentContext;
      saveConfigFile(path, next);
      s.out.line(`deleted context ${name}`);
    });

  ctx
    .command("import-sandbox")
    .description(
      "contexts for the local sandbox's service: sandbox (operator), sandbox-approver, sandbox-admin, sandbox-viewer",
    )
    .option("--dir <dir>", "the sandbox's state directory (default: $SWITCHOVER_SANDBOX_DIR or ./.sandbox)")
    .option(
      "--url <url>",
      "the service (default: http://127.0.0.1:$PORT, PORT defaulting to 8080 as npm start does)",
    )
    .action((o: { dir?: string; url?: string }) => {
      const dir = resolve(o.dir ?? s.env.SWITCHOVER_SANDBOX_DIR ?? ".sandbox");
      const tokens = join(dir, "tokens.json");
      if (!existsSync(tokens)) {
        throw usageError(
          `${tokens} does not exist: start the sandbox first (npm run sandbox -- up), or pass --dir`,
        );
      }
      const url = o.url ?? `http://127.0.0.1:${s.env.PORT ?? "8080"}`;
      const path = configPath(s.env);
      const file = loadConfigFile(path);
      const contexts = { ...file.contexts };
      for (const role of SANDBOX_ROLES) {
        contexts[role === "operator" ? "sandbox" : `sandbox-${role}`] = {
          url,
          token: { file: tokens, key: role },
        };
      }
      saveConfigFile(path, { ...file, contexts, currentContext: "sandbox" });
      s.out.line(
        `contexts sandbox (operator, now current), sandbox-approver, sandbox-admin, sandbox-viewer → ${url}`,
      );
      s.out.line(`tokens are read from ${tokens} at each call; config ${path}`);
    });
}
