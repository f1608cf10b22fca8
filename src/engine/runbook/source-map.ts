// Maps a document path (["steps", 2, "with", "topics"]) to a line and column in the YAML/JSON text,
// falling back to the nearest existing ancestor when the path names something missing.
import { isMap, isPair, isScalar, isSeq } from "yaml";
import type { Document, LineCounter, Node, Pair, YAMLMap } from "yaml";

export interface Position {
  line: number;
  col: number;
}

export class SourceMap {
  /** Key → pair per mapping, built on first use: locating every problem stays linear overall. */
  private readonly index = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the value at path; with `key`, of the map key naming the last segment. */
  locate(path: readonly PropertyKey[], opts: { key?: boolean; offset?: number } = {}): Position {
    let node: Node | null | undefined = this.doc.contents;
    let found: Node | undefined = node ?? undefined;
    let keyNode: Node | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = this.pairs(node).get(String(seg));
        if (!pair) break;
        keyNode = isScalar(pair.key) ? pair.key : undefined;
        node = pair.value as Node | null;
        found = node ?? keyNode;
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        keyNode = undefined;
        node = item;
        found = item;
      } else break;
    }
    const target = opts.key && keyNode ? keyNode : found;
    let offset = target?.range?.[0] ?? 0;
    if (opts.offset !== undefined && isScalar(target) && !opts.key) {
      // Point inside single-line strings at the exact expression; quoted scalars start one later.
      const quoted = target.type === "QUOTE_DOUBLE" || target.type === "QUOTE_SINGLE";
      if (target.type === "PLAIN" || quoted) offset += opts.offset + (quoted ? 1 : 0);
    }
    return this.lines.linePos(offset);
  }

  private pairs(map: YAMLMap): Map<string, Pair> {
    let pairs = this.index.get(map);
    if (!pairs) {
      pairs = new Map();
      for (const p of map.items) {
        // The first pair wins, as a scan from the start would find it.
        if (isPair(p) && isScalar(p.key) && !pairs.has(String(p.key.value)))
          pairs.set(String(p.key.value), p);
      }
      this.index.set(map, pairs);
    }
    return pairs;
  }

  position(offset: number): Position {
    return this.lines.linePos(offset);
  }
}
