// Maps a document path (["steps", 2, "with", "topics"]) to a line and column in the YAML/JSON text,
// falling back to the nearest existing ancestor when the path names something missing.
import { isMap, isPair, isScalar, isSeq } from "yaml";
import type { Document, LineCounter, Node } from "yaml";

export interface Position {
  line: number;
  col: number;
}

export class SourceMap {
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
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
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

  position(offset: number): Position {
    return this.lines.linePos(offset);
  }
}
