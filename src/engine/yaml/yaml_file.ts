/**
 * Reading a project YAML file with positions, so every complaint names the
 * file, the path inside the YAML and its line.
 *
 * @module
 */
import {
  isCollection,
  isMap,
  isNode,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
} from "../yaml.ts";
import type { ProjectIssue, SourceLocation } from "../errors.ts";

/** A path inside a YAML document: keys and list indexes. */
export type YamlPath = readonly (string | number)[];

/** Formats `["models", 0, "config"]` as `models[0].config`. */
export function formatYamlPath(path: YamlPath): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out === "" ? part : `.${part}`;
  }
  return out;
}

/** A parsed YAML file that reports problems with their location. */
export class YamlFile {
  readonly data: unknown;
  readonly issues: ProjectIssue[] = [];
  readonly #doc: ReturnType<typeof parseDocument>;
  readonly #lines = new LineCounter();

  constructor(readonly path: string, text: string) {
    this.#doc = parseDocument(text, { lineCounter: this.#lines, uniqueKeys: true });
    const lines = this.#doc.errors.length ? text.split("\n") : [];
    // A line indented deeper than the key before it, which has a value on its own line: the
    // parser reports the key before (twice); the line to mend is the deeper one.
    const indent = (line: string) => line.length - line.trimStart().length;
    const deeper = this.#doc.errors.filter((e) => {
      const [key, at] = e.linePos ?? [];
      const before = lines[(key?.line ?? 0) - 1] ?? "";
      return e.code === "MULTILINE_IMPLICIT_KEY" && at &&
        /^\s*(- )?[^\s:#'"][^:#]*:\s+\S/.test(before) &&
        indent(lines[at.line - 1] ?? "") > indent(before);
    });
    for (const err of deeper) {
      const [key, at] = err.linePos!;
      const line = lines[at!.line - 1] ?? "";
      this.issues.push({
        message: `Invalid YAML: the line reads ${
          JSON.stringify(line.trim())
        }, indented deeper than ${
          JSON.stringify(lines[key.line - 1]?.trim())
        } (line ${key.line}), which already has its value: indent it as the keys beside it`,
        location: { file: path, line: at!.line, column: indent(line) + 1 },
      });
    }
    const covered = new Set(deeper.map((e) => e.pos[0]));
    for (const err of this.#doc.errors) {
      if (covered.has(err.pos[0])) continue;
      // The parser's first line, without the position the location gives.
      const what = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const open = unclosed(this.#doc, text, what, err.pos[0]);
      const pos = open ? this.#lines.linePos(open.offset) : err.linePos?.[0];
      const line = pos ? lines[pos.line - 1]?.trim() : undefined;
      this.issues.push({
        message: `Invalid YAML: ${open?.message ?? what}${
          line ? ` (the line reads ${JSON.stringify(line)})` : ""
        }`,
        location: { file: path, line: pos?.line, column: pos?.col },
      });
    }
    this.data = this.#doc.errors.length ? undefined : this.#doc.toJS();
  }

  /**
   * The location of the value at `path` (or of the nearest parent that
   * exists); of its key when the key has no value written (`key:` alone).
   */
  locate(path: YamlPath): SourceLocation {
    for (let n = path.length; n >= 0; n--) {
      const node = this.#doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const empty = isScalar(node) && node.range[0] === node.range[1];
        const key = empty ? this.#keyOf(path.slice(0, n)) : undefined;
        return this.#at(key?.range?.[0] ?? node.range[0]);
      }
    }
    return { file: this.path };
  }

  /**
   * The location of the key `path` ends with (`models[0].config.materialzed`:
   * the `materialzed` key, not its value); that of {@linkcode locate} when
   * `path` ends with a list index or names no key.
   */
  locateKey(path: YamlPath): SourceLocation {
    const key = this.#keyOf(path);
    return key?.range ? this.#at(key.range[0]) : this.locate(path);
  }

  /**
   * Records a problem with the value at `path`, or with its key (`key`: an
   * unknown key, one wharf does not support, or one out of place).
   */
  report(path: YamlPath, message: string, options: ReportOptions = {}): void {
    const where = path.length ? `${formatYamlPath(path)}: ` : "";
    this.issues.push({
      message: `${where}${message}`,
      location: options.key ? this.locateKey(path) : this.locate(path),
      ...(options.unsupported ? { unsupported: true } : {}),
    });
  }

  /** The key node `path` ends with, in the mapping that holds it. */
  #keyOf(path: YamlPath) {
    const last = path.at(-1);
    if (typeof last !== "string") return undefined;
    const parent = this.#doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last);
    return isScalar(pair?.key) ? pair.key : undefined;
  }

  #at(offset: number): SourceLocation {
    const pos = this.#lines.linePos(offset);
    return { file: this.path, line: pos.line, column: pos.col };
  }
}

/** Options of {@linkcode YamlFile.report}. */
export interface ReportOptions {
  /** Something wharf does not support, rather than a mistake (see `ProjectIssue.unsupported`). */
  unsupported?: boolean;
  /**
   * The problem is the key `path` ends with, not its value: the location is
   * the key's (where an editor should land to mend it).
   */
  key?: boolean;
}

const CLOSER: Record<string, string> = { "[": "]", "{": "}" };

/**
 * For a parser error `what` (at `offset`) about a quote or a flow list or
 * mapping that is not closed, where it opens and a message saying so. The
 * parser notices it where the text runs out (the end of the file, or the
 * next key): one line or more after the line to mend. A flow collection
 * closed on a line indented too little is left at the parser's place
 * (that line is the one to mend).
 */
function unclosed(
  doc: ReturnType<typeof parseDocument>,
  text: string,
  what: string,
  offset: number,
): { offset: number; message: string } | undefined {
  const quote = /^Missing closing (["'])quote/.exec(what)?.[1];
  const flow = /^Flow (sequence|map)\b.* end with a [\]}]$/.exec(what)?.[1];
  if (quote === undefined && flow === undefined) return undefined;
  // The innermost node of that kind that reaches the error's offset.
  let start: number | undefined;
  visit(doc, (_key, node) => {
    if (!isNode(node) || !node.range) return;
    const [from, , to] = node.range;
    if (from >= offset || offset > to || (start !== undefined && from <= start)) return;
    const kind = quote !== undefined
      ? isScalar(node) && node.type === (quote === '"' ? "QUOTE_DOUBLE" : "QUOTE_SINGLE")
      : isCollection(node) && node.flow && isMap(node) === (flow === "map");
    if (kind) start = from;
  });
  if (start === undefined) return undefined;
  if (quote !== undefined) {
    return {
      offset: start,
      message:
        `the ${quote} here is not closed: end the text with ${quote} (a text of more lines indents them deeper than its key)`,
    };
  }
  const open = text[start]!;
  const lineEnd = text.indexOf("\n", offset);
  if (closes(text, start, lineEnd === -1 ? text.length : lineEnd)) return undefined;
  return {
    offset: start,
    message: `the "${open}" here is never closed: end the ${
      open === "[" ? "list" : "mapping"
    } with "${CLOSER[open]}"`,
  };
}

/** Whether the bracket at `start` of `text` is closed before `end` (quotes and comments skipped). */
function closes(text: string, start: number, end: number): boolean {
  const open: string[] = [];
  for (let i = start; i < end; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close === -1) return false;
      i = close;
    } else if (c === "#" && /\s/.test(text[i - 1] ?? " ")) {
      const eol = text.indexOf("\n", i);
      i = eol === -1 ? end : eol;
    } else if (c === "[" || c === "{") open.push(CLOSER[c]!);
    else if (c === "]" || c === "}") {
      if (open.pop() !== c) return false;
      if (open.length === 0) return true;
    }
  }
  return false;
}

/** Describes a value for an error message. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}
