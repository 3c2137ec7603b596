/**
 * Reading a project YAML file with positions, so every complaint names the
 * file, the path inside the YAML and its line.
 *
 * @module
 */
import { isNode, LineCounter, parseDocument } from "../yaml.ts";
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
      const pos = err.linePos?.[0];
      // The parser's first line, without the position the location gives, and the line it means.
      const what = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const line = pos ? lines[pos.line - 1]?.trim() : undefined;
      this.issues.push({
        message: `Invalid YAML: ${what}${line ? ` (the line reads ${JSON.stringify(line)})` : ""}`,
        location: { file: path, line: pos?.line, column: pos?.col },
      });
    }
    this.data = this.#doc.errors.length ? undefined : this.#doc.toJS();
  }

  /** The location of the value at `path` (or of the nearest parent that exists). */
  locate(path: YamlPath): SourceLocation {
    for (let n = path.length; n >= 0; n--) {
      const node = this.#doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = this.#lines.linePos(node.range[0]);
        return { file: this.path, line: pos.line, column: pos.col };
      }
    }
    return { file: this.path };
  }

  /** Records a problem with the value at `path` (`unsupported`: see `ProjectIssue`). */
  report(path: YamlPath, message: string, options: { unsupported?: boolean } = {}): void {
    const where = path.length ? `${formatYamlPath(path)}: ` : "";
    this.issues.push({
      message: `${where}${message}`,
      location: this.locate(path),
      ...(options.unsupported ? { unsupported: true } : {}),
    });
  }
}

/** Describes a value for an error message. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}
