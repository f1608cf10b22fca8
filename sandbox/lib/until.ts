// Polling with a deadline for the drills and benchmarks: probe until it returns a value, remembering
// the last error it threw, and fail naming what was awaited (and that error) once time is up.
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  everyMs = 1_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last ? ` (${last instanceof Error ? last.message : JSON.stringify(last)})` : ""}`,
      );
    await sleep(everyMs);
  }
}
