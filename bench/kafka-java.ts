// Shared by the Kafka benchmarks: the sandbox's Kafka 4.3.0 jars as a classpath, and javac/java
// runs into bench/out/ (git-ignored; compiled at bench time, never committed).
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const repoRoot = resolve(import.meta.dirname, "..");
export const outDir = join(repoRoot, "bench", "out");
/** The sandbox in use (SWITCHOVER_SANDBOX_DIR, as the sandbox CLI reads it), default <repo>/.sandbox. */
export const sandboxDir = process.env.SWITCHOVER_SANDBOX_DIR ?? join(repoRoot, ".sandbox");
const libDir = join(sandboxDir, "cache", "kafka-4.3.0", "lib");

export function kafkaClasspath(): string {
  const jars = readdirSync(libDir).filter((f) => f.endsWith(".jar"));
  if (jars.length === 0) throw new Error(`no Kafka jars in ${libDir}: run \`npm run sandbox -- up\` first`);
  return jars.map((j) => join(libDir, j)).join(":");
}

const run = promisify(execFile);

/** Compiles one Java source into bench/out/ against the Kafka jars. */
export async function compileJava(className: string, source: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${className}.java`);
  writeFileSync(file, source);
  await run("javac", ["-cp", kafkaClasspath(), "-d", outDir, file], { maxBuffer: 16 << 20 });
}

/** Runs a Java main class with the Kafka jars (quiet logging) and returns stdout. */
export async function java(mainClass: string, args: string[], extraCp: string[] = []): Promise<string> {
  const { stdout } = await run(
    "java",
    [
      "-Xmx512m",
      "-XX:TieredStopAtLevel=1",
      "-Dlog4j2.level=ERROR",
      "-Dlog4j2.rootLevel=ERROR",
      "-cp",
      [...extraCp, kafkaClasspath()].join(":"),
      mainClass,
      ...args,
    ],
    { maxBuffer: 64 << 20, timeout: 3_600_000 },
  );
  return stdout;
}

export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export const fmt = (ms: number): string =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
