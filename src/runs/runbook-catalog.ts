// The runbooks the service offers: every *.yaml / *.yml under the configured directory, parsed and
// validated, keyed by metadata.name. Rescanned at most once a second; unchanged files are not
// reparsed. Names from requests are only ever looked up here, never joined into a path.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Runbook } from "../engine/runbook/model.js";
import { parseRunbook } from "../engine/runbook/parse-runbook.js";
import type { Problem } from "../engine/runbook/problem.js";
import type { StepCatalog } from "../engine/step-catalog.js";
import type { TargetCatalog } from "../engine/target-catalog.js";

export interface RunbookEntry {
  name: string;
  /** Path relative to the runbooks directory. */
  file: string;
  valid: boolean;
  runbook?: Runbook;
  problems: Problem[];
}

interface Parsed {
  mtimeMs: number;
  size: number;
  entry: RunbookEntry;
}

const MAX_DEPTH = 4;
const MAX_FILES = 2_000;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class RunbookCatalog {
  private parsed = new Map<string, Parsed>();
  private byName = new Map<string, RunbookEntry>();
  private scannedAt = -Infinity;
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly steps: StepCatalog,
    private readonly targets: TargetCatalog,
    private readonly refreshMs = 1_000,
  ) {}

  async list(): Promise<RunbookEntry[]> {
    await this.refresh();
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: string): Promise<RunbookEntry | undefined> {
    if (!NAME.test(name)) return undefined;
    await this.refresh();
    return this.byName.get(name);
  }

  /**
   * The first call waits for a scan; later ones answer from the last scan and rescan in the
   * background when it is older than refreshMs, so requests never wait on the file system.
   */
  private async refresh(): Promise<void> {
    if (Date.now() - this.scannedAt < this.refreshMs) return;
    const first = this.scannedAt === -Infinity;
    this.scanning ??= this.scan().finally(() => {
      this.scanning = undefined;
      this.scannedAt = Date.now();
    });
    if (first) await this.scanning;
    else this.scanning.catch(() => undefined);
  }

  private async scan(): Promise<void> {
    const files = await this.findFiles();
    const next = new Map<string, Parsed>();
    for (const file of files) {
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      const old = this.parsed.get(file);
      if (old && old.mtimeMs === info.mtimeMs && old.size === info.size) {
        next.set(file, old);
        continue;
      }
      next.set(file, { mtimeMs: info.mtimeMs, size: info.size, entry: await this.parseFile(file) });
    }
    this.parsed = next;
    const byName = new Map<string, RunbookEntry>();
    for (const { entry } of [...next.values()].sort((a, b) => (a.entry.file < b.entry.file ? -1 : 1))) {
      const first = byName.get(entry.name);
      if (first) {
        byName.set(`${entry.name}#${entry.file}`, {
          ...entry,
          valid: false,
          problems: [
            ...entry.problems,
            {
              file: entry.file,
              line: 1,
              col: 1,
              path: "metadata.name",
              message: `duplicate runbook name "${entry.name}" (also ${first.file}); this file is ignored`,
            },
          ],
        });
        continue;
      }
      byName.set(entry.name, entry);
    }
    this.byName = byName;
  }

  private async parseFile(path: string): Promise<RunbookEntry> {
    const file = relative(this.dir, path);
    const fallbackName = (file.split("/").pop() ?? file).replace(/\.ya?ml$/, "");
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const message = `cannot read: ${err instanceof Error ? err.message : String(err)}`;
      return {
        name: fallbackName,
        file,
        valid: false,
        problems: [{ file, line: 1, col: 1, path: "", message }],
      };
    }
    const result = parseRunbook(text, { file, catalog: this.steps, targets: this.targets });
    if (result.ok)
      return { name: result.runbook.metadata.name, file, valid: true, runbook: result.runbook, problems: [] };
    return { name: fallbackName, file, valid: false, problems: result.problems };
  }

  /** Runbook files under dir: regular files only (symlinks are not followed), bounded depth and count. */
  private async findFiles(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith(".")) continue;
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full, depth + 1);
        else if (e.isFile() && /\.ya?ml$/.test(e.name) && out.length < MAX_FILES) out.push(full);
      }
    };
    await walk(this.dir, 0);
    return out.sort();
  }
}
