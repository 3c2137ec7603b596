/**
 * dbt's `persist_docs`: a node's description, and its columns', written
 * into the warehouse as DuckDB comments (`COMMENT ON TABLE|VIEW`, `COMMENT
 * ON COLUMN`) once it is built, as dbt-duckdb writes them: the DuckDB CLI,
 * `duckdb_tables()` and any tool reading the catalog show them.
 *
 * @module
 */
import { quoteIdent, quoteLiteral, quoteRelationId, splitRelation } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";
import { relationKind } from "../db/relation_kind.ts";
import type { PersistedDocs } from "../types.ts";

/**
 * Comments `relation` (just built) with `docs`; a documented column the
 * relation does not have is left out, as dbt leaves it out (with a warning).
 *
 * @returns a note naming the columns left out, if any.
 */
export async function persistDocs(
  s: Session,
  relation: string,
  docs: PersistedDocs,
): Promise<string | undefined> {
  const { catalog, schema, name } = splitRelation(relation);
  const target = quoteRelationId(relation);
  const what = await relationKind(s, relation) ?? "TABLE";
  if (docs.relation !== undefined) {
    await s.exec(`COMMENT ON ${what} ${target} IS ${quoteLiteral(docs.relation)}`);
  }
  const entries = Object.entries(docs.columns ?? {});
  if (!entries.length) return undefined;
  const columns = (await s.query(
    "SELECT column_name FROM information_schema.columns WHERE table_catalog = coalesce(?, current_database()) AND table_schema = ? AND table_name = ?",
    [catalog ?? null, schema, name],
  )).map((r) => String(r.column_name));
  const missing: string[] = [];
  for (const [column, description] of entries) {
    const found = columns.find((c) => c.toLowerCase() === column.toLowerCase());
    if (found === undefined) missing.push(column);
    else {
      await s.exec(
        `COMMENT ON COLUMN ${target}.${quoteIdent(found)} IS ${quoteLiteral(description)}`,
      );
    }
  }
  return missing.length
    ? `persist_docs: ${missing.map((c) => `"${c}"`).join(", ")} documented but not in ${relation}`
    : undefined;
}
