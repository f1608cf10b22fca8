// Entry point for runbook text (YAML or JSON): enforces size, depth and alias limits before any
// expensive work, then validates and returns either the runbook or every located problem.
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node, YAMLMap } from "yaml";
import { ErrorCode, SwitchoverError } from "../errors.js";
import type { JsonObject } from "../json.js";
import type { StepCatalog } from "../step-catalog.js";
import type { TargetCatalog } from "../target-catalog.js";
import { runbookDocumentSchema } from "./document-schema.js";
import type { Runbook, StepSpec } from "./model.js";
import { formatPath, formatProblem } from "./problem.js";
import type { Problem } from "./problem.js";
import { SourceMap } from "./source-map.js";
import { validateRunbookDocument } from "./validate-runbook.js";

export const DOCUMENT_LIMITS = {
  /** Real runbooks are a few KB; 1 MiB leaves room and keeps parsing fast and bounded. */
  maxBytes: 1_048_576,
  maxDepth: 64,
  maxAliases: 100,
  /** Nodes after alias expansion: what defeats "billion laughs" documents. */
  maxNodes: 200_000,
};

export interface ParseRunbookOptions {
  file?: string;
  catalog: StepCatalog;
  targets: TargetCatalog;
}

export type ParseRunbookResult = { ok: true; runbook: Runbook } | { ok: false; problems: Problem[] };

export function parseRunbook(text: string, opts: ParseRunbookOptions): ParseRunbookResult {
  const file = opts.file ?? "<runbook>";
  const at = (message: string, line = 1, col = 1, path = ""): ParseRunbookResult => ({
    ok: false,
    problems: [{ file, line, col, path, message }],
  });

  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > DOCUMENT_LIMITS.maxBytes) {
    return at(`document is ${bytes} bytes; the limit is ${DOCUMENT_LIMITS.maxBytes}`);
  }
  // Nesting is measured on the raw text, flow ([[[[…) and block (indentation), so the parser —
  // which recurses — never sees absurd depth.
  for (const deep of [maxBracketDepth(text), maxIndentDepth(text)]) {
    if (deep.depth > DOCUMENT_LIMITS.maxDepth) {
      const pos = positionOf(text, deep.offset);
      return at(`document nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`, pos.line, pos.col);
    }
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    // The parser's own check compares each key with every earlier one (quadratic: a 389 KB mapping
    // blocked the event loop for a minute); measure() checks uniqueness with one Set per mapping.
    uniqueKeys: false,
    version: "1.2",
  });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.slice(0, 50).map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: "", message: `syntax: ${firstLine(e.message)}` };
      }),
    };
  }
  const map = new SourceMap(doc, lines);
  const shape = measure(doc, doc.contents);
  if (shape.problem) {
    const pos = shape.offset === undefined ? { line: 1, col: 1 } : map.position(shape.offset);
    return at(shape.problem, pos.line, pos.col);
  }
  if (!isMap(doc.contents))
    return at("a runbook document must be a mapping with apiVersion, kind, metadata, steps");

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: DOCUMENT_LIMITS.maxAliases });
  } catch (err) {
    return at(`cannot expand document: ${err instanceof Error ? err.message : String(err)}`);
  }

  const rawProblems = validateRunbookDocument(raw, opts.catalog, opts.targets);
  if (rawProblems.length > 0) {
    const problems = rawProblems.map((p) => {
      const pos = map.locate(p.path, { key: p.key, offset: p.offset });
      return { file, line: pos.line, col: pos.col, path: formatPath(p.path), message: p.message };
    });
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, problems };
  }
  return { ok: true, runbook: toRunbook(runbookDocumentSchema.parse(raw)) };
}

/** Throws RUNBOOK_INVALID with every problem formatted; for callers that only want the runbook. */
export function parseRunbookOrThrow(text: string, opts: ParseRunbookOptions): Runbook {
  const result = parseRunbook(text, opts);
  if (result.ok) return result.runbook;
  throw new SwitchoverError(
    ErrorCode.RunbookInvalid,
    `${opts.file ?? "runbook"} has ${result.problems.length} problem(s):\n  ${result.problems.map(formatProblem).join("\n  ")}`,
    { details: { problems: result.problems } },
  );
}

function toRunbook(doc: ReturnType<typeof runbookDocumentSchema.parse>): Runbook {
  const steps: StepSpec[] = doc.steps.map((s) => {
    const spec: StepSpec = { id: s.id, uses: s.uses, with: s.with as JsonObject, onFailure: s.onFailure };
    if (s.name !== undefined) spec.name = s.name;
    if (s.when !== undefined) spec.when = normaliseWhen(s.when);
    if (s.timeout !== undefined) spec.timeout = s.timeout;
    if (s.retry !== undefined) spec.retry = s.retry;
    if (s.approval === true) spec.approval = {};
    else if (typeof s.approval === "object") spec.approval = s.approval;
    return spec;
  });
  const metadata: Runbook["metadata"] = { name: doc.metadata.name, labels: doc.metadata.labels };
  if (doc.metadata.description !== undefined) metadata.description = doc.metadata.description;
  return { apiVersion: doc.apiVersion, kind: doc.kind, metadata, params: doc.params, steps };
}

/** `when` is stored as a bare expression: "${{ a }}" and "a" mean the same. */
function normaliseWhen(when: string | boolean): string {
  if (typeof when === "boolean") return String(when);
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(when);
  return m && !m[1]!.includes("}}") ? m[1]!.trim() : when;
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}

function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** Deepest [ / { nesting outside quoted strings and comments, and where it was first exceeded. */
function maxBracketDepth(text: string): { depth: number; offset: number } {
  let depth = 0;
  let max = 0;
  let offset = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      // Apostrophes inside plain words ("don't") do not open a string.
      const prev = text[i - 1];
      if (c === "'" && prev !== undefined && /[A-Za-z0-9]/.test(prev)) continue;
      quote = c;
    } else if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if (c === "[" || c === "{") {
      if (++depth > max) {
        max = depth;
        if (max === DOCUMENT_LIMITS.maxDepth + 1) offset = i;
      }
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
    else if (c === "\n") quote = undefined;
  }
  return { depth: max, offset };
}

/**
 * Block nesting from indentation: a stack of the indents currently open; "- " entries open a level
 * each. Over-approximates slightly (block scalars), which only matters for absurd documents.
 */
function maxIndentDepth(text: string): { depth: number; offset: number } {
  const open: number[] = [];
  let max = 0;
  let offset = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    let end = text.indexOf("\n", lineStart);
    if (end < 0) end = text.length;
    let p = lineStart;
    while (p < end && text.charCodeAt(p) === 32) p++;
    if (p < end && text[p] !== "#" && text[p] !== "\r") {
      const indents = [p - lineStart];
      while (text[p] === "-" && text[p + 1] === " ") {
        p += 2;
        while (p < end && text.charCodeAt(p) === 32) p++;
        indents.push(p - lineStart);
      }
      while (open.length > 0 && open[open.length - 1]! >= indents[0]!) open.pop();
      for (const ind of indents) if (open.length === 0 || open[open.length - 1]! < ind) open.push(ind);
      if (open.length > max) {
        max = open.length;
        if (max === DOCUMENT_LIMITS.maxDepth + 1) offset = p;
      }
    }
    lineStart = end + 1;
  }
  return { depth: max, offset };
}

/**
 * Walks the parsed tree once, without recursion: block nesting depth, unique mapping keys, and the
 * node count an alias expansion would produce (each alias costs the size of what it points to), so
 * "billion laughs" documents are refused before anything is expanded. Linear in the document.
 */
function measure(doc: Document, root: Node | null | undefined): { problem?: string; offset?: number } {
  if (!root) return {};
  const sizes = new Map<Node, number>();
  const stack: { node: Node; depth: number; expanded: boolean }[] = [
    { node: root, depth: 1, expanded: false },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.depth > DOCUMENT_LIMITS.maxDepth) {
      return {
        problem: `document nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
        offset: top.node.range?.[0],
      };
    }
    if (!top.expanded) {
      top.expanded = true;
      const duplicate = isMap(top.node) ? firstDuplicateKey(top.node) : undefined;
      if (duplicate) return { problem: "syntax: Map keys must be unique", offset: duplicate.range?.[0] };
      // Reverse push so children complete in document order: anchors before the aliases to them.
      const kids = children(top.node);
      for (let k = kids.length - 1; k >= 0; k--)
        stack.push({ node: kids[k]!, depth: top.depth + 1, expanded: false });
      continue;
    }
    stack.pop();
    let size = 1;
    if (isAlias(top.node)) {
      const target = top.node.resolve(doc);
      size += target ? (sizes.get(target) ?? 1) : 0;
    } else for (const child of children(top.node)) size += sizes.get(child) ?? 1;
    if (size > DOCUMENT_LIMITS.maxNodes) {
      return {
        problem: `document expands to more than ${DOCUMENT_LIMITS.maxNodes} nodes through aliases`,
        offset: top.node.range?.[0],
      };
    }
    sizes.set(top.node, size);
  }
  return {};
}

/**
 * The first key of a mapping equal to an earlier one, compared as the parser's own check does
 * (scalar keys by value, other keys by identity), with a Set instead of a scan of earlier keys.
 */
function firstDuplicateKey(map: YAMLMap): Node | undefined {
  const seen = new Set<unknown>();
  for (const pair of map.items) {
    const key = pair.key;
    const id: unknown = isScalar(key) ? key.value : key;
    if (seen.has(id)) return isScalar(key) ? key : undefined;
    seen.add(id);
  }
  return undefined;
}

function children(node: Node): Node[] {
  if (isCollection(node)) {
    const out: Node[] = [];
    if (isSeq(node)) for (const item of node.items) out.push(item as Node);
    else if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (pair.key && typeof pair.key === "object") out.push(pair.key as Node);
        if (pair.value) out.push(pair.value as Node);
      }
    }
    return out;
  }
  return [];
}
