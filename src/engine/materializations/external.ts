/**
 * `external`: the model is written as Parquet files, hive-partitioned when
 * `partition_by` is given (`state=NY/data_0.parquet`), in the folder
 * `location` (relative to the project root), and a view over the files
 * stands for it in the warehouse, so downstream models read it as any
 * other. Spark, Trino, BigQuery and MotherDuck read the same files.
 *
 * ```yaml
 * models:
 *   - name: orders
 *     config: { materialized: external, location: exports/orders, partition_by: [state] }
 * ```
 *
 * A build writes the files into a fresh folder beside `location` and then
 * swaps it in, so a rebuild leaves no file of the previous build and a
 * failed one leaves the previous files in place. The folder must be new,
 * empty, or one wharf wrote (it holds `_wharf.json`): wharf never deletes
 * files it did not write. The view lists the model's columns in their order,
 * the partition columns typed as the model's SELECT gives them (a ZIP code
 * `02130` in a partition's name stays the text `02130`).
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { z } from "../zod.ts";
import { quoteIdent, quoteLiteral, quoteRelation, quoteRelationId } from "../db/sql.ts";
import { otherKind } from "../db/relation_kind.ts";
import { ModelError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { mapping, text, textList } from "../yaml/yaml_schema.ts";
import { defineMaterialization } from "./materialization.ts";

/** The file that marks a folder as written by wharf for an external model. */
const EXTERNAL_MARKER = "_wharf.json";

const LOCATION = 'a folder, relative to the project root (e.g. "exports/orders")';

const parts = z.lazy(() =>
  z.object({
    /** `location` as the model's config gives it. */
    location: z.string(),
    /** The absolute folder of the files. */
    directory: z.string(),
    /** The folder a build writes into before it is swapped in. */
    staging: z.string(),
    /** Where the previous files wait while the new ones are swapped in. */
    previous: z.string(),
    partitionBy: z.array(z.string()),
    /** The model's columns and types. */
    describe: z.string(),
  })
);

/** A column of the model as DuckDB describes its SELECT. */
interface Column {
  name: string;
  type: string;
}

/** The model whose files `dir` holds, from its marker; undefined when it has none. */
async function ownerOf(dir: string): Promise<string | undefined> {
  try {
    const marker: unknown = JSON.parse(await Deno.readTextFile(join(dir, EXTERNAL_MARKER)));
    return typeof marker === "object" && marker !== null && "model" in marker
      ? String(marker.model)
      : "another model";
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
      err instanceof Deno.errors.PermissionDenied
    ) return undefined;
    throw err;
  }
}

/**
 * Refuses a folder a build must not replace: one that holds files wharf did
 * not write, the files of another model, or lies inside another model's.
 */
async function claim(directory: string, location: string, relation: string): Promise<void> {
  const refuse = (why: string) =>
    new ModelError(relation, `Cannot write ${relation} to "${location}": ${why}`);
  for (let d = dirname(directory); d !== dirname(d); d = dirname(d)) {
    const owner = await ownerOf(d);
    if (owner) {
      throw refuse(
        `it is inside the files of ${owner} (${d}): give each external model its own folder`,
      );
    }
  }
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(directory)) names.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if (err instanceof Deno.errors.NotADirectory) throw refuse("it is a file, not a folder");
    throw err;
  }
  if (names.length === 0) return;
  const owner = await ownerOf(directory);
  if (owner === relation) return;
  if (owner) {
    throw refuse(
      `the folder holds the files of ${owner}: give each external model its own folder (or remove this one if ${owner} is gone)`,
    );
  }
  names.sort();
  throw refuse(
    `the folder holds files wharf did not write (${
      names.slice(0, 3).map((n) => `"${n}"`).join(", ")
    }${
      names.length > 3 ? ", …" : ""
    }), and a build replaces everything in it: set "location" to a new or empty folder`,
  );
}

async function removeDir(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function countParquet(directory: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(directory)) {
    if (e.isDirectory) n += await countParquet(join(directory, e.name));
    else if (e.name.endsWith(".parquet")) n++;
  }
  return n;
}

/**
 * The view over an external model's files: its columns in their order, the
 * partition columns typed as the model gives them. Without rows and with
 * partitions there are no files, so the view is an empty typed relation.
 */
function externalView(
  relation: string,
  directory: string,
  columns: readonly Column[],
  partitionBy: readonly string[],
  rows: number,
): string {
  const head = `CREATE OR REPLACE VIEW ${quoteRelationId(relation)} AS\nSELECT `;
  if (partitionBy.length && rows === 0) {
    return `${head}${
      columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(", ")
    }\nWHERE false`;
  }
  const partitioned = columns.filter((c) => partitionBy.includes(c.name));
  const options = partitioned.length
    ? `hive_partitioning = true, hive_types = {${
      partitioned.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(", ")
    }}`
    : "hive_partitioning = false";
  return `${head}${columns.map((c) => quoteIdent(c.name)).join(", ")}\nFROM read_parquet(${
    quoteLiteral(`${directory}/**/*.parquet`)
  }, ${options})`;
}

/** The `external` materialization: `location` and `partition_by` settings. */
export const external = defineMaterialization({
  name: "external",
  config: mapping("an external model's config", {
    location: text(
      LOCATION,
      `an external model needs a "location": ${LOCATION}, where its Parquet files are written`,
    ).refine((v) => v.trim() !== "" && !/[*?[\]{}]/.test(v), {
      error: (iss) =>
        `expected ${LOCATION}, without wildcards (* ? [ ] { }), got ${JSON.stringify(iss.input)}`,
    }),
    partition_by: textList("a column name or a list of column names").optional(),
  }),
  parts,
  compile: ({ model, select, root, config }) => {
    const directory = resolve(root, config.location);
    const staging = join(dirname(directory), `.${basename(directory)}.wharf-new`);
    const partitionBy = config.partition_by ?? [];
    const sql = partitionBy.length
      ? `COPY (\n${select}\n) TO ${quoteLiteral(staging)} (FORMAT parquet, PARTITION_BY (${
        partitionBy.map(quoteIdent).join(", ")
      }))`
      : `COPY (\n${select}\n) TO ${quoteLiteral(join(staging, "data_0.parquet"))} (FORMAT parquet)`;
    const glob = quoteLiteral(`${directory}/**/*.parquet`);
    return {
      sql,
      script:
        `-- the Parquet files, written beside "${config.location}" and then swapped in for the previous ones\n${sql};\n\n-- then the view over them, with the model's columns in order (partition columns typed as its SELECT gives them)\nCREATE OR REPLACE VIEW ${
          quoteRelation(model.layer, model.name, model.catalog)
        } AS\nSELECT * FROM read_parquet(${glob}, hive_partitioning = ${
          partitionBy.length > 0
        });\n`,
      parts: {
        location: config.location,
        directory,
        staging,
        previous: join(dirname(directory), `.${basename(directory)}.wharf-old`),
        partitionBy,
        describe: `DESCRIBE SELECT * FROM (\n${select}\n)`,
      },
    };
  },
  build: async (wh, { relation, sql, parts }) => {
    const { directory, staging, previous, location } = parts;
    await claim(directory, location, relation);
    const columns: Column[] = (await wh.query(parts.describe)).map((r) => ({
      name: String(r.column_name),
      type: String(r.column_type),
    }));
    // Partition columns by the model's own spelling of them.
    const partitionBy = parts.partitionBy.map((p) => {
      const column = columns.find((c) => c.name.toLowerCase() === p.toLowerCase());
      if (column) return column.name;
      const guess = closest(p, columns.map((c) => c.name));
      throw new ModelError(
        relation,
        `Cannot partition ${relation} by "${p}": it has no such column${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
      );
    });
    await removeDir(staging);
    await removeDir(previous);
    await Deno.mkdir(partitionBy.length ? dirname(staging) : staging, { recursive: true });
    let rows: number;
    try {
      rows = await wh.count(sql);
      await Deno.mkdir(staging, { recursive: true });
      await Deno.writeTextFile(
        join(staging, EXTERNAL_MARKER),
        `${JSON.stringify({ model: relation, format: "parquet", partition_by: partitionBy })}\n`,
      );
    } catch (err) {
      await removeDir(staging);
      throw err;
    }
    const replaced = await exists(directory);
    if (replaced) await Deno.rename(directory, previous);
    await Deno.rename(staging, directory);
    const view = externalView(relation, directory, columns, partitionBy, rows);
    try {
      await wh.exec(view);
    } catch (err) {
      // A table stands where the view goes (the model was a table before): dropped and
      // replaced in one transaction.
      const other = otherKind(err);
      if (!other) throw err;
      await wh.transaction(async (s) => {
        await s.exec(`DROP ${other} ${quoteRelationId(relation)}`);
        await s.exec(view);
      });
    }
    if (replaced) await removeDir(previous);
    const files = await countParquet(directory);
    return {
      rows,
      message: `${files} Parquet file${files === 1 ? "" : "s"} in ${location}`,
    };
  },
});
