// service.auth.tokensFile: API token hashes kept out of the environment file (docker compose mounts
// them as a secret generated on first start), merged with service.auth.tokens at load.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, loadConfig } from "../../src/config/load.js";

const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);

function files(tokensFile: string | undefined, tokensText?: string, inline: unknown[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "so-tokens-"));
  if (tokensText !== undefined) writeFileSync(join(dir, "tokens.yaml"), tokensText);
  const config = join(dir, "switchover.yaml");
  writeFileSync(
    config,
    stringify({
      apiVersion: "switchover/v1",
      kind: "Environment",
      service: { auth: { tokens: inline, ...(tokensFile ? { tokensFile } : {}) } },
    }),
  );
  return config;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("no ConfigError");
}

describe("service.auth.tokensFile", () => {
  it("when set, then its tokens join the inline ones; a relative path is read beside the config", () => {
    const config = files(
      "tokens.yaml",
      stringify({ tokens: [{ name: "oncall-approver", sha256: HASH_B, roles: ["approver"] }] }),
      [{ name: "ci", sha256: HASH_A, roles: ["operator"] }],
    );
    expect(loadConfig(config).service.auth.tokens).toEqual([
      { name: "ci", sha256: HASH_A, roles: ["operator"] },
      { name: "oncall-approver", sha256: HASH_B, roles: ["approver"] },
    ]);
  });

  it("when the file is missing, then the load fails naming it and the setting", () => {
    const config = files("tokens.yaml");
    expect(() => loadConfig(config)).toThrow(/service\.auth\.tokensFile.*tokens\.yaml.*ENOENT/s);
  });

  it("when an entry is wrong, then each problem names the file and the path", () => {
    const config = files(
      "tokens.yaml",
      stringify({ tokens: [{ name: "x", sha256: "plaintext", roles: ["root"] }] }),
    );
    const problems = problemsOf(() => loadConfig(config));
    expect(problems.some((p) => /tokens\.yaml.*tokens\[0\]\.sha256/.test(p))).toBe(true);
    expect(problems.some((p) => /tokens\.yaml.*tokens\[0\]\.roles\[0\]/.test(p))).toBe(true);
    expect(problems.join("\n")).not.toContain("plaintext");
  });

  it("when a name appears twice, then the load is refused (a principal is one name)", () => {
    const config = files(
      "tokens.yaml",
      stringify({ tokens: [{ name: "ci", sha256: HASH_B, roles: ["viewer"] }] }),
      [{ name: "ci", sha256: HASH_A, roles: ["operator"] }],
    );
    expect(problemsOf(() => loadConfig(config)).join("\n")).toMatch(/token name "ci".*twice/);
  });
});

describe("deploy/compose/make-tokens.sh", () => {
  it("writes hashes the service loads and tokens that match them, and keeps existing tokens", () => {
    const dir = mkdtempSync(join(tmpdir(), "so-make-tokens-"));
    const script = join(dir, "make-tokens.sh");
    copyFileSync(resolve(import.meta.dirname, "../../deploy/compose/make-tokens.sh"), script);
    execFileSync("bash", [script], { stdio: "pipe" });
    const tokens = JSON.parse(readFileSync(join(dir, "secrets", "tokens.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(Object.keys(tokens)).toEqual(["viewer", "operator", "approver", "admin"]);
    expect(statSync(join(dir, "secrets", "tokens.json")).mode & 0o777).toBe(0o600);
    const config = join(dir, "switchover.yaml");
    writeFileSync(
      config,
      stringify({
        apiVersion: "switchover/v1",
        kind: "Environment",
        service: { auth: { tokensFile: "secrets/api-tokens.yaml" } },
      }),
    );
    const loaded = loadConfig(config).service.auth.tokens;
    for (const [role, token] of Object.entries(tokens)) {
      const sha256 = createHash("sha256").update(token).digest("hex");
      expect(loaded).toContainEqual({ name: `compose-${role}`, sha256, roles: [role] });
    }
    expect(() => execFileSync("bash", [script], { stdio: "pipe" })).toThrow(/exists/);
    expect(JSON.parse(readFileSync(join(dir, "secrets", "tokens.json"), "utf8"))).toEqual(tokens);
  });
});
