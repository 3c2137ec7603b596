/**
 * The one import of `@duckdb/node-api`: the modules of this folder take the
 * driver from here. A build loads the engine through a deferred import
 * (`cli/load.ts`), and Deno then resolves an npm package once for each
 * module that imports it (about 5 ms each); one importer per package keeps
 * that to once. `tests/startup_imports_test.ts` checks it.
 *
 * @module
 */
export {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBListValue,
  type DuckDBMapValue,
  DuckDBResultReader,
  type DuckDBStructValue,
  type DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBUnionValue,
  type DuckDBValue,
  ResultReturnType,
  StatementType,
  version,
} from "@duckdb/node-api";
