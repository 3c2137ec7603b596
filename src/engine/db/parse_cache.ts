/**
 * The parse of unchanged SQL, kept between runs. DuckDB's parser gives the
 * same AST for the same text, so what a project load parsed is kept in
 * `target/wharf_parse_cache.json`, by the SHA-1 of each text, and the next
 * load parses only the texts that changed (a new process saves DuckDB's
 * parse of every model and the walk that maps its positions).
 *
 * The file names the DuckDB version that parsed and the cache's format; any
 * other is read as empty. It holds what the last load parsed, no more (an
 * edited file's old text goes). It is a cache: a file that cannot be read is
 * parsed again, and a `target/` that cannot be written costs the parse next
 * time, nothing else.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { version } from "./duckdb.ts";
import type { ParseResult } from "./parse_sql.ts";

/** The cache's file in a project's `target/`. */
export const PARSE_CACHE_FILE = "wharf_parse_cache.json";

const FORMAT = 1;

/**
 * The file: who parsed, and each text's result by its SHA-1, as JSON text
 * (each read gives a copy of its own; parsing them one by one costs less than
 * copying parsed ones).
 */
interface CacheFile {
  format: number;
  duckdb: string;
  results: Record<string, string>;
}

/** A parser answering from the cache; `save` keeps what this load parsed. */
export interface ParseCache {
  parse(texts: readonly string[]): Promise<ParseResult[]>;
  /** Writes the results this load asked for, when they differ from the file's. */
  save(): Promise<void>;
}

function keyOf(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

async function readResults(file: string): Promise<Map<string, string>> {
  try {
    const cached = JSON.parse(await Deno.readTextFile(file)) as Partial<CacheFile>;
    if (cached.format !== FORMAT || cached.duckdb !== version() || !cached.results) {
      return new Map();
    }
    return new Map(Object.entries(cached.results));
  } catch {
    // None yet, or not whole (written by another version, or cut short): parsed again.
    return new Map();
  }
}

/** Options of {@linkcode openParseCache}. */
export interface ParseCacheOptions {
  /**
   * False: the file is not read (every text is parsed), only written
   * (dbt's `--no-partial-parse`, which writes its own cache still).
   */
  read?: boolean;
}

/**
 * The parse cache of the `target` folder, over `parse` for what it lacks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openParseCache } from "./parse_cache.ts";
 * import { parseSql } from "./parse_sql.ts";
 *
 * const target = await Deno.makeTempDir();
 * const parsed: string[] = [];
 * const parse = (texts: readonly string[]) => (parsed.push(...texts), parseSql(texts));
 * const first = await openParseCache(target, parse);
 * const [a] = await first.parse(["select 1 as id"]);
 * await first.save();
 * const second = await openParseCache(target, parse);
 * const [b] = await second.parse(["select 1 as id"]);
 * assert.deepEqual(b, a);
 * assert.deepEqual(parsed, ["select 1 as id"]); // parsed once, read back the second time
 * await Deno.remove(target, { recursive: true });
 * ```
 */
export async function openParseCache(
  target: string,
  parse: (texts: readonly string[]) => Promise<ParseResult[]>,
  options: ParseCacheOptions = {},
): Promise<ParseCache> {
  const file = join(target, PARSE_CACHE_FILE);
  const stored = options.read === false ? new Map<string, string>() : await readResults(file);
  /** The results this load asked for, as JSON text. */
  const used = new Map<string, string>();
  let parsedAny = false;
  return {
    async parse(texts) {
      const keys = texts.map(keyOf);
      const missing = new Map<string, string>();
      keys.forEach((key, i) => {
        if (!stored.has(key) && !used.has(key)) missing.set(key, texts[i]!);
      });
      const fresh = new Map<string, ParseResult>();
      if (missing.size) {
        const results = await parse([...missing.values()]);
        [...missing.keys()].forEach((key, i) => fresh.set(key, results[i]!));
        for (const [key, result] of fresh) used.set(key, JSON.stringify(result));
        parsedAny = true;
      }
      // Each text gets a result of its own: nodes may keep (and annotate) the AST they were given.
      return keys.map((key) => {
        const result = fresh.get(key);
        if (result) {
          fresh.delete(key);
          return result;
        }
        if (!used.has(key)) used.set(key, stored.get(key)!);
        return JSON.parse(used.get(key)!) as ParseResult;
      });
    },
    async save() {
      if (!parsedAny && used.size === stored.size) return;
      const cached: CacheFile = {
        format: FORMAT,
        duckdb: version(),
        results: Object.fromEntries(used),
      };
      const partial = `${file}.${crypto.randomUUID()}.partial`;
      try {
        await Deno.mkdir(target, { recursive: true });
        // Whole or not at all: another run reading meanwhile sees the old file or the new one.
        await Deno.writeTextFile(partial, JSON.stringify(cached));
        await Deno.rename(partial, file);
      } catch {
        await Deno.remove(partial).catch(() => {});
      }
    },
  };
}
