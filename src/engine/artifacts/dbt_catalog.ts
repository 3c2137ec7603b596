/**
 * dbt's `target/catalog.json` (schema v1): the relations of the project's
 * models, seeds and sources as the warehouse has them (table or view,
 * columns with their DuckDB types in order, and the comments DuckDB keeps
 * on them: `COMMENT ON`, `persist_docs`), keyed by unique id. What
 * `dbt docs generate` writes beside the manifest.
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import type { EngineConfig } from "../config.ts";
import { relationIdSql, splitRelation } from "../db/sql.ts";
import type { Warehouse } from "../db/warehouse.ts";
import { relationOf } from "../graph/build_graph.ts";
import {
  artifactMetadata,
  databaseName,
  DBT_SCHEMAS,
  sourceNameIds,
  uniqueIds,
  writeArtifact,
} from "./dbt_manifest.ts";

/** The catalog, as JSON. */
export interface DbtCatalog {
  metadata: Record<string, unknown>;
  nodes: Record<string, CatalogTable>;
  sources: Record<string, CatalogTable>;
  errors: string[] | null;
}

/** A relation of the catalog. */
export interface CatalogTable {
  metadata: {
    type: string;
    schema: string;
    name: string;
    database: string;
    comment: string | null;
    owner: string | null;
  };
  columns: Record<string, { type: string; index: number; name: string; comment: string | null }>;
  stats: Record<string, unknown>;
  unique_id: string;
}

/** A comment as the catalog records it: its text, or null for none. */
function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * Reads the catalog of `cp`'s relations from `wh` (undefined: nothing built,
 * an empty catalog). Relations not built yet are left out, as dbt does.
 */
export async function dbtCatalog(
  cp: CompiledProject,
  wh: Warehouse | undefined,
  options: { invocationId: string; startedAt: Date },
): Promise<DbtCatalog> {
  const ids = uniqueIds(cp);
  const named = sourceNameIds(cp);
  const database = databaseName(cp.project.config);
  const columns = new Map<
    string,
    { type: string; name: string; index: number; comment: string | null }[]
  >();
  const tables = new Map<string, { type: string; comment: string | null }>();
  if (wh) {
    // DuckDB's own catalog: each relation's and column's comment (COMMENT ON, persist_docs).
    const rel = relationIdSql("t.database_name", "t.schema_name", "t.table_name");
    for (
      const r of await wh.query(
        `SELECT ${rel} AS rel, t.type, t.comment AS table_comment, c.column_name AS name,
                c.data_type, c.column_index::INTEGER AS pos, c.comment AS column_comment
         FROM (
           SELECT database_name, schema_name, table_name, 'BASE TABLE' AS type, comment
           FROM duckdb_tables() WHERE NOT internal
           UNION ALL
           SELECT database_name, schema_name, view_name, 'VIEW', comment
           FROM duckdb_views() WHERE NOT internal
         ) t
         JOIN duckdb_columns() c USING (database_name, schema_name, table_name)
         ORDER BY rel, pos`,
      )
    ) {
      const id = String(r.rel);
      tables.set(id, { type: String(r.type), comment: textOrNull(r.table_comment) });
      const list = columns.get(id) ?? [];
      list.push({
        name: String(r.name),
        type: String(r.data_type),
        index: Number(r.pos),
        comment: textOrNull(r.column_comment),
      });
      columns.set(id, list);
    }
  }
  const nodes: Record<string, CatalogTable> = {};
  const sources: Record<string, CatalogTable> = {};
  for (const n of cp.graph.nodes.values()) {
    const relation = relationOf(n);
    if (relation === undefined) continue;
    const cols = columns.get(relation);
    if (!cols) continue;
    const { catalog, schema, name } = splitRelation(relation);
    const table: CatalogTable = {
      metadata: {
        type: tables.get(relation)!.type,
        schema,
        name,
        database: catalog ?? database,
        comment: tables.get(relation)!.comment,
        owner: null,
      },
      columns: Object.fromEntries(
        cols.map((c) => [c.name, {
          type: c.type,
          index: c.index,
          name: c.name,
          comment: c.comment,
        }]),
      ),
      stats: {
        has_stats: {
          id: "has_stats",
          label: "Has Stats?",
          value: false,
          include: false,
          description: "Indicates whether there are statistics for this table",
        },
      },
      unique_id: ids.get(n.id)!,
    };
    // A plain project's relation that several sources: tables name: an entry per name, as in the manifest.
    for (const unique_id of named.get(n.id) ?? [table.unique_id]) {
      (n.kind === "source" ? sources : nodes)[unique_id] = { ...table, unique_id };
    }
  }
  return {
    metadata: artifactMetadata(DBT_SCHEMAS.catalog, options),
    nodes,
    sources,
    errors: null,
  };
}

/** Writes `catalog` to `<target>/catalog.json`; returns the file's path. */
export function writeDbtCatalog(config: EngineConfig, catalog: DbtCatalog): Promise<string> {
  return writeArtifact(config, "catalog.json", catalog);
}
