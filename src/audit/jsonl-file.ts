// Durable line appender for the audit JSONL copy: one write per batch of lines, then fsync, so an
// acknowledged audit entry survives a power cut. Opened lazily; a newly created file also has its directory synced.
import { mkdir, open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

export class JsonlFile {
  private handle: FileHandle | undefined;
  private opening: Promise<FileHandle> | undefined;

  constructor(readonly path: string) {}

  /** Appends `line` plus a newline and fsyncs before resolving. Callers serialise their calls. */
  async append(line: string): Promise<void> {
    await this.appendLines([line]);
  }

  /** Appends each line plus a newline in one write, then fsyncs once. Callers serialise their calls. */
  async appendLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const handle = await this.open();
    const buf = Buffer.from(`${lines.join("\n")}\n`, "utf8");
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await handle.write(buf, written, buf.length - written);
      written += bytesWritten;
    }
    await handle.sync();
  }

  async close(): Promise<void> {
    const handle = this.handle ?? (await this.opening?.catch(() => undefined));
    this.handle = undefined;
    this.opening = undefined;
    await handle?.close();
  }

  private open(): Promise<FileHandle> {
    if (this.handle) return Promise.resolve(this.handle);
    this.opening ??= this.openNow().then(
      (h) => {
        this.handle = h;
        return h;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  private async openNow(): Promise<FileHandle> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const handle = await open(this.path, "a", 0o600);
    if ((await handle.stat()).size === 0) await syncDirectory(dir);
    return handle;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some platforms cannot fsync a directory; the file's own fsync still holds its contents.
  } finally {
    await handle?.close();
  }
}
