/**
 * dbt's custom materializations, `{% materialization name, adapter='duckdb' %}
 * … {% endmaterialization %}` in macro files: wharf builds models with its
 * own materializations only, so each block is a problem at its line, and
 * the file's other macros are read without it.
 *
 * @module
 */
import { MODEL_MATERIALIZATIONS } from "../materializations/index.ts";

/** A `{% materialization %}` block of a macro file. */
export interface MaterializationBlock {
  /** Its name (`{% materialization insert_only, … %}`: `insert_only`). */
  name: string;
  /** 1-based line of its `{% materialization %}` tag. */
  line: number;
  /** Why wharf does not run it, and what to do. */
  message: string;
}

/**
 * The `{% materialization %}` blocks of a macro file's `text`, and the text
 * without them (blanked, so every other line keeps its number).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { materializationBlocks } from "./materialization_blocks.ts";
 *
 * const { text, blocks } = materializationBlocks(
 *   "{% macro a() %}1{% endmacro %}\n{% materialization b, adapter='duckdb' %}\nx\n{% endmaterialization %}\n",
 * );
 * assert.equal(text.split("\n").length, 5);
 * assert.doesNotMatch(text, /materialization/);
 * assert.deepEqual(blocks.map((b) => [b.name, b.line]), [["b", 2]]);
 * ```
 */
export function materializationBlocks(
  text: string,
): { text: string; blocks: MaterializationBlock[] } {
  const blocks: MaterializationBlock[] = [];
  const kinds = MODEL_MATERIALIZATIONS.map((m) => m.name);
  const out = text.replace(
    /\{%[-+]?\s*materialization\s+(\w+)[\s\S]*?(?:\{%[-+]?\s*endmaterialization\s*[-+]?%\}|$(?![\s\S]))/g,
    (block, name: string, offset: number) => {
      blocks.push({
        name,
        line: text.slice(0, offset).split("\n").length,
        message:
          `Custom materializations are not supported by wharf: {% materialization ${name} %} is not run; models are materialized as ${
            kinds.slice(0, -1).join(", ")
          } or ${
            kinds.at(-1)
          } (snapshots by {% snapshot %} blocks): remove the block and give its models one of those`,
      });
      return block.replace(/[^\n]/g, " ");
    },
  );
  return { text: out, blocks };
}
