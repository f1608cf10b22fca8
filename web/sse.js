// Server-Sent Events over fetch: EventSource cannot send an Authorization header, so the page
// reads the stream itself, parses it as the HTML standard says, and on a dropped connection
// resumes with Last-Event-ID (the API replays what came after it).

import { ApiError, authHeaders, readProblem } from "./api.js";

/** @typedef {{ id: string | undefined, event: string, data: string }} SseMessage */

/** An incremental parser of the text/event-stream format: feed it chunks, get whole messages. */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.data = /** @type {string[]} */ ([]);
    this.event = "";
    /** @type {string | undefined} */
    this.lastEventId = undefined;
    /** @type {number | undefined} */
    this.retry = undefined;
    this.started = false;
    this.pendingCR = false;
  }

  /**
   * @param {string} chunk
   * @returns {SseMessage[]}
   */
  feed(chunk) {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // A CR that ended the previous chunk already ended its line; a LF right after it belongs to it.
    if (this.pendingCR && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.pendingCR = false;
    this.buffer += chunk;
    /** @type {SseMessage[]} */
    const out = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      const line = this.buffer.slice(start, i);
      if (c === "\r") {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /**
   * @param {string} line
   * @returns {SseMessage | undefined}
   */
  line(line) {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^[0-9]+$/.test(value)) this.retry = Number(value);
    return undefined;
  }

  /** @returns {SseMessage | undefined} */
  dispatch() {
    const data = this.data;
    const event = this.event || "message";
    this.data = [];
    this.event = "";
    if (data.length === 0) return undefined;
    return { id: this.lastEventId, event, data: data.join("\n") };
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
      { once: true },
    );
  });
}

/**
 * @typedef {object} FollowOptions
 * @property {string} token
 * @property {AbortSignal} signal
 * @property {(msg: SseMessage) => void} onMessage every message but `end`
 * @property {(data: string) => void} onEnd the stream said the run is finished
 * @property {(state: "connecting" | "open" | "reconnecting", detail?: string) => void} onStatus
 * @property {string} [lastEventId] resume after this event
 * @property {number} [retryMs] first reconnect delay (the server's `retry:` overrides it)
 */

/**
 * Follows an event stream until it ends, the signal aborts, or the API refuses it (ApiError).
 * Returns the last event id seen.
 * @param {string} url
 * @param {FollowOptions} o
 * @returns {Promise<string | undefined>}
 */
export async function followEvents(url, o) {
  let lastEventId = o.lastEventId;
  let retryMs = o.retryMs ?? 2_000;
  let failures = 0;
  while (!o.signal.aborted) {
    o.onStatus(failures === 0 ? "connecting" : "reconnecting");
    try {
      const res = await fetch(url, {
        headers: {
          ...authHeaders(o.token),
          Accept: "text/event-stream",
          ...(lastEventId !== undefined ? { "Last-Event-ID": lastEventId } : {}),
        },
        cache: "no-store",
        credentials: "omit",
        signal: o.signal,
      });
      if (!res.ok) {
        const problem = await readProblem(res);
        // Too many streams or a proxy hiccup: retry. Anything else will not get better.
        if (res.status !== 503 && res.status !== 502 && res.status !== 504)
          throw new ApiError(res.status, problem);
        o.onStatus("reconnecting", problem.detail);
      } else if (res.body) {
        o.onStatus("open");
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const msg of parser.feed(value)) {
            if (msg.id !== undefined) lastEventId = msg.id;
            if (msg.event === "end") {
              await reader.cancel().catch(() => {});
              o.onEnd(msg.data);
              return lastEventId;
            }
            failures = 0;
            o.onMessage(msg);
          }
          if (parser.retry !== undefined) retryMs = parser.retry;
        }
      }
    } catch (err) {
      if (o.signal.aborted) return lastEventId;
      if (err instanceof ApiError) throw err;
      o.onStatus("reconnecting", err instanceof Error ? err.message : String(err));
    }
    failures++;
    // Back off up to 30 s while the API stays away; resume where the stream stopped.
    await sleep(Math.min(retryMs * 2 ** Math.min(failures - 1, 4), 30_000), o.signal);
  }
  return lastEventId;
}
