/**
 * The plain data a loaded project is made of. Loading produces it, the graph
 * and the compiler read it; nothing here touches a database.
 *
 * @module
 */
import type { EngineConfig } from "./config.ts";
import type { ProjectIssue, SourceLocation } from "./errors.ts";

/** What happens when a data test finds failing rows. */
export type Severity = "error" | "warn";

/** A relation named in a SQL text, where it was named. */
export interface RelationRef {
  /**
   * `schema.name` (`catalog.schema.name` in an attached database), lower-cased;
   * a reference no SQL text holds (a dbt `source()` call, an exposure's
   * `depends_on`) may name a declared source table's node instead (`source.<source>.<table>`).
   */
  relation: string;
  /** Character offset of the reference in the SQL text. */
  offset: number;
  /** 1-based line in the file the user wrote. */
  line: number;
  /** 1-based column in that line; unknown when the SQL was rendered from a template. */
  column?: number;
}

/** A generic data test declared in YAML (its kind is one of `test_kinds/`). */
export interface GenericTest {
  /** The test kind (`unique`, `not_null`, `accepted_values`, `relationships`, `expression` …). */
  kind: string;
  /** The column it is about, when it is about one. */
  column?: string;
  /** Its arguments as YAML gives them (validated by its kind when read). */
  args: Readonly<Record<string, unknown>>;
  /** Relations it reads beside the one under test (`relationships`: its parent), resolved by the graph. */
  reads: string[];
}

/** A data test's configs beyond its severity (dbt's test configs; see `test_kinds/test_config.ts`). */
export interface TestConfig {
  /** A SQL condition: a generic test tests only the rows of its relation where it holds. */
  where?: string;
  /** At most this many failing rows are counted and stored. */
  limit?: number;
  /** Thresholds on the failures counted (`fail_calc`; `!= 0` by default, `> 10`, …). */
  warnIf?: string;
  errorIf?: string;
  /** Failing rows are stored in `wharf_failures.<test>` unless false. */
  storeFailures?: boolean;
  /** How failing rows are stored: `table`, `view`, or `ephemeral` (not at all); wins over `storeFailures`. */
  storeFailuresAs?: "table" | "view" | "ephemeral";
  /** What the thresholds compare, computed over the failing rows (`count(*)` by default). */
  failCalc?: string;
  /** Tags, for `tag:` selection. */
  tags?: string[];
  /** False: the test is left out. */
  enabled?: boolean;
}

/** A generic test attached to a model or seed. */
export interface GenericTestNode {
  kind: "generic_test";
  /** `test.<name>` */
  id: string;
  name: string;
  /**
   * dbt projects, a test named after its arguments whose name has 64
   * characters or more: dbt's shorter name for its compiled file (see
   * `dbt/test_names.ts`).
   */
  fileName?: string;
  /** The model or seed under test. */
  attachedTo: string;
  test: GenericTest;
  severity: Severity;
  /** Its configs beyond severity, when it has any. */
  config?: TestConfig;
  location: SourceLocation;
  /** dbt's fully qualified name (`[package, ...folders of its YAML file, name]`); absent: from its file. */
  fqn?: string[];
  /**
   * dbt projects: its configs as written (dbt_project.yml, its properties,
   * its `config()` call), before Jinja renders them: dbt's
   * `unrendered_config`, which `state:modified` compares, so that another
   * target is no change.
   */
  unrenderedConfig?: Readonly<Record<string, unknown>>;
}

/** A query in `sql/tests/` whose returned rows are failures. */
export interface SingularTestNode {
  kind: "singular_test";
  id: string;
  name: string;
  path: string;
  sql: string;
  description: string;
  severity: Severity;
  /** Its configs beyond severity, when it has any (`where` is for generic tests only). */
  config?: TestConfig;
  refs: RelationRef[];
  /** dbt projects: the source tables its `source()` calls name (see `ModelNode.namedSources`). */
  namedSources?: string[];
  /** dbt's fully qualified name (`[package, ...folders under the test path, name]`); absent: from its path. */
  fqn?: string[];
  /**
   * dbt projects: its configs as written (dbt_project.yml, its properties,
   * its `config()` call), before Jinja renders them: dbt's
   * `unrendered_config`, which `state:modified` compares, so that another
   * target is no change.
   */
  unrenderedConfig?: Readonly<Record<string, unknown>>;
}

/**
 * Rows a unit test gives or expects, as written: `dict` rows (column to a
 * YAML value), or the text of a CSV (header first) or of a SQL query.
 */
export type UnitTestData =
  | { format: "dict"; rows: Record<string, unknown>[] }
  | { format: "csv"; csv: string }
  | { format: "sql"; sql: string };

/** One `given:` entry of a unit test, resolved. */
export interface UnitTestInput {
  /** As written: `ref('stg_orders')`, `source('raw', 'orders')`, `this` or `schema.name`. */
  input: string;
  /** The relation it stands for (`schema.name`, lower-cased). */
  relation: string;
  data: UnitTestData;
}

/**
 * A unit test (`unit_tests:` in YAML): the model's SELECT run on the given
 * rows only, in a scratch database, and compared with the expected rows.
 */
export interface UnitTestNode {
  kind: "unit_test";
  /** `unit_test.<model name>.<name>` */
  id: string;
  name: string;
  /** The YAML file it is declared in. */
  path: string;
  description: string;
  tags: string[];
  /** The model under test (its id). */
  model: string;
  given: UnitTestInput[];
  expect: UnitTestData;
  /** `overrides.vars`, as YAML gives them. */
  vars: Record<string, unknown>;
  /** `overrides.macros`: macro name to the value (SQL text, or a YAML scalar) it returns. */
  macros: Record<string, unknown>;
  /** `overrides.env_vars` (dbt models). */
  envVars: Record<string, string>;
  /**
   * The model's SQL as the test runs it, when it differs from the model's
   * own (a dbt model rendered again with the test's overrides), with its references.
   */
  sql?: { text: string; refs: RelationRef[] };
  location: SourceLocation;
}

/** A documented column. */
export interface ColumnDoc {
  name: string;
  description: string;
  /** Its declared type (`data_type:`), as written. */
  dataType?: string;
  /** dbt projects: its `meta` and `tags` (which its tests take too), when set. */
  meta?: Record<string, unknown>;
  tags?: string[];
}

/** The kinds of constraint a model's YAML may declare (dbt's `constraints:`). */
export type ConstraintType = "not_null" | "primary_key" | "unique" | "check";

/** A constraint from a column's or a model's YAML `constraints:`. */
export interface Constraint {
  type: ConstraintType;
  /** Its name, when YAML gives one (`CONSTRAINT <name>`). */
  name?: string;
  /** The columns it is about: the one it is listed under, or a model-level `columns:`. */
  columns: string[];
  /** `check`: a boolean SQL expression. */
  expression?: string;
}

/**
 * A model's enforced contract (`config: { contract: { enforced: true } }`):
 * the columns, in order, with their declared types, that the built relation
 * must have exactly.
 */
export interface ModelContract {
  columns: { name: string; dataType: string }[];
  /** Constraints created with the table (table and incremental models). */
  constraints: Constraint[];
}

/**
 * SQL run before and after a model's, seed's or snapshot's build
 * (`pre_hook`, `post_hook`): in the build's transaction, or (a hook
 * `{ sql, transaction: false }`) outside it, before it begins or after it
 * commits.
 */
export interface HookLists {
  pre: HookSql[];
  post: HookSql[];
  /** Pre-hooks with `transaction: false`: run before the build's transaction begins. */
  beforeBegin?: HookSql[];
  /** Post-hooks with `transaction: false`: run once the build's transaction has committed. */
  afterCommit?: HookSql[];
}

/**
 * A node's hooks ({@linkcode HookLists}): those a build runs, and those an
 * incremental model's later run runs instead when they differ.
 */
export interface NodeHooks extends HookLists {
  /**
   * dbt incremental models: the hooks as a later run renders them
   * (`is_incremental()` true: its table is there and no full refresh is
   * asked), when that differs from the lists above, which its first build
   * and `--full-refresh` run. A hook kept as its template renders as it
   * runs, with the `is_incremental()` of the build it runs with.
   */
  later?: HookLists;
}

/** Settings of a model from its YAML `config:`. */
export interface ModelConfig {
  /** The materialization's name (one of `compile/materializations/`). */
  materialized: string;
  /** Columns that identify a row (incremental merge key, the key of nullified values). */
  uniqueKey: string[];
  /** `unique_key` as written, a column or a list (absent: not set): what the manifest records. */
  writtenUniqueKey?: string | string[];
  tags: string[];
  enabled: boolean;
  /**
   * The materialization's own settings, as YAML gives them (validated by it
   * when read): e.g. `{ watermark: "_batch_id" }` for incremental.
   */
  options: Readonly<Record<string, unknown>>;
}

/**
 * What a row check does with a row where its expression is not true:
 * `reject` routes the row to `<layer>.<name>__rejected`; `nullify` keeps the
 * row, sets the check's column to NULL and records the value in
 * `<layer>.<name>__rejected_values`.
 */
export type OnFail = "reject" | "nullify";

/** The check policies, the default first. */
export const ON_FAIL: readonly OnFail[] = ["reject", "nullify"];

/** A row-level check from a model's YAML `checks:`. */
export interface RowCheck {
  name: string;
  /** A boolean SQL expression over the model's output; the model's name is the row alias. */
  expression: string;
  /** What happens to a row where the expression is not true. */
  onFail: OnFail;
  /** The column the check is about: the one a `nullify` check sets to NULL. */
  column?: string;
  /**
   * The column whose text a `nullify` check records as the value (default:
   * `column`), e.g. the delivered text beside a parsed date. The check then
   * judges a row where either column holds a value: a text that could not be
   * read (`column` NULL) is recorded too, under `column`.
   */
  valueFrom?: string;
}

/** A model: one SELECT in `models/<layer>/<name>.sql`. */
export interface ModelNode {
  kind: "model";
  /** `<layer>.<name>` (`<catalog>.<layer>.<name>` in an attached database), also the relation it builds. */
  id: string;
  layer: string;
  name: string;
  /** The attached database it is built into (`config: { database }`); absent: the warehouse. */
  catalog?: string;
  /** Path relative to the project root (a snapshot defined in YAML: that YAML file). */
  path: string;
  sql: string;
  /**
   * Its code as written when that is not its whole file (dbt's `raw_code`):
   * a `{% snapshot %}` block's contents (a file may hold several), or for a
   * snapshot defined in YAML `select * from` its `relation:`.
   */
  rawCode?: string;
  description: string;
  columns: ColumnDoc[];
  config: ModelConfig;
  refs: RelationRef[];
  /**
   * The part of `sql` (`sql.slice(start, end)`) its first build runs alone,
   * when `sql` holds two SELECTs: a dbt incremental model whose
   * `is_incremental()` changes what it renders (see `RenderedSql.firstBuild`).
   */
  firstBuild?: { start: number; end: number };
  /** Row-level checks from YAML `checks:` (see {@linkcode RowCheck}). */
  checks: RowCheck[];
  /**
   * Relations read beside the SELECT: by the checks, or named by a dbt
   * `ref()`/`source()` the SQL itself does not read (`-- depends_on: {{ ref('x') }}`).
   * Dependencies only; never rewritten.
   */
  checkRefs: RelationRef[];
  /**
   * dbt projects: the source tables its `source()` calls name (their node
   * ids). A relation that several declared tables read is read through these.
   */
  namedSources?: string[];
  /** Direct column references: output column → the `relation.column`s it is read from. */
  columnLineage: Record<string, string[]>;
  /** Its enforced contract, if it has one. */
  contract?: ModelContract;
  /** Its hooks, if it has any. */
  hooks?: NodeHooks;
  /** dbt's fully qualified name (`[project, ...folders, file name]`); absent: from its path. */
  fqn?: string[];
  /** The dbt package it comes from; absent: the project itself. */
  package?: string;
  /** dbt projects: its config as merged (dbt_project.yml, properties, `config()`), for `config.<key>:`. */
  dbtConfig?: Readonly<Record<string, unknown>>;
  /**
   * dbt projects: its configs as written (dbt_project.yml, its properties,
   * its `config()` call), before Jinja renders them: dbt's
   * `unrendered_config`, which `state:modified` compares, so that another
   * target is no change.
   */
  unrenderedConfig?: Readonly<Record<string, unknown>>;
  /** dbt models: its `sql_header`, rendered: run in its session before its statements. */
  sqlHeader?: string;
  /** dbt projects: the descriptions `persist_docs` writes once it is built. */
  persistDocs?: PersistedDocs;
  /**
   * dbt projects: its Jinja reads the warehouse (`run_query()`, `statement`,
   * `load_result()`, itself or in a macro it calls): `sql` is what it renders
   * with `execute` false, as dbt parses it; it is rendered again against the
   * warehouse just before it builds (`CompiledProject.renderAtRun`).
   */
  renderedAtRun?: true;
  /**
   * dbt projects: its `event_time` (a column or SQL expression of its rows'
   * time): a microbatch model reading it reads each batch's rows only.
   */
  eventTime?: string;
}

/** What dbt's `persist_docs` writes into the warehouse once a node is built (DuckDB comments). */
export interface PersistedDocs {
  /** The node's description (`persist_docs: { relation: true }`, when it has one). */
  relation?: string;
  /** Column name to description (`persist_docs: { columns: true }`: the documented columns). */
  columns?: Record<string, string>;
}

/** A CSV file in `models/seeds/`, loaded as `seeds.<name>`. */
export interface SeedNode {
  kind: "seed";
  /** `<schema>.<name>` (`<catalog>.<schema>.<name>` in an attached database), also the relation it loads. */
  id: string;
  name: string;
  /** dbt projects: the attached database it is loaded into; absent: the warehouse. */
  catalog?: string;
  path: string;
  description: string;
  columns: ColumnDoc[];
  /** Column name to DuckDB type, overriding the sniffer. */
  columnTypes: Record<string, string>;
  /**
   * dbt seeds: each column's type as dbt-duckdb infers it (agate's types:
   * `INTEGER`, `DOUBLE`, `DATE`, `TIMESTAMP`, `BOOLEAN`, `VARCHAR`), under
   * `columnTypes`; absent: DuckDB's sniffer types the columns.
   */
  inferredTypes?: Record<string, string>;
  /** The file's delimiter, when it is not sniffed (a dbt seed's `delimiter`). */
  delimiter?: string;
  /** The table's column names, in the file's order, instead of the header's as DuckDB reads it (dbt seeds). */
  columnNames?: string[];
  /** Its file ends lines in more than one way (`\r\n` and `\n`): DuckDB reads it outside its strict mode. */
  mixedLineBreaks?: true;
  /** dbt seeds: a line has fewer fields than the header; DuckDB reads the missing ones as nulls, as agate does. */
  shortLines?: true;
  tags: string[];
  /** Its hooks, if it has any. */
  hooks?: NodeHooks;
  /** dbt's fully qualified name; absent: from its path. */
  fqn?: string[];
  /** The dbt package it comes from; absent: the project itself. */
  package?: string;
  /** dbt projects: its config as merged, for `config.<key>:`. */
  dbtConfig?: Readonly<Record<string, unknown>>;
  /**
   * dbt projects: its configs as written (dbt_project.yml, its properties,
   * its `config()` call), before Jinja renders them: dbt's
   * `unrendered_config`, which `state:modified` compares, so that another
   * target is no change.
   */
  unrenderedConfig?: Readonly<Record<string, unknown>>;
  /** dbt projects: the descriptions `persist_docs` writes once it is loaded. */
  persistDocs?: PersistedDocs;
  /** dbt projects: its `event_time` (see `ModelNode.eventTime`). */
  eventTime?: string;
}

/**
 * A table models read that no model builds: a `raw.*` table of the
 * warehouse (landed data), or a table of an attached database
 * (`catalog.schema.name`).
 */
export interface SourceNode {
  kind: "source";
  /**
   * Its relation; for a table of a dbt project's `sources:`, `source.<source>.<table>`
   * (two tables may read one relation, each a source of its own, as in dbt).
   */
  id: string;
  /** The table's name: a declared table's, else its relation's last part. */
  name: string;
  /** The relation it reads (`schema.name`, `catalog.schema.name`), lower-cased. */
  relation: string;
  /**
   * The names `sources:` entries give it (source and table): a dbt
   * project's table its own; a plain-SQL project's relation every table
   * declared on it (its models read the relation, whatever its names).
   */
  declared?: { source: string; table: string }[];
  /** Its tags (a dbt source's and its table's), for `tag:`. */
  tags?: string[];
  /**
   * The YAML file declaring it (relative to the project root), which `path:`
   * and `file:` match, as dbt matches a source; a plain-SQL relation named
   * in several files: the first. Absent: not declared.
   */
  file?: string;
  /** dbt projects: dbt's fqn (`[package, ...folders of its properties file, source, table]`). */
  fqn?: string[];
  /** dbt projects: its `meta`, which `config.meta.<key>:` selects. */
  meta?: Record<string, unknown>;
  /** The attached database it is in; absent: the warehouse. */
  catalog?: string;
  /** Referenced by a model but not landed (yet): only what does not need it can run. */
  missing?: boolean;
  /**
   * Declared `optional` in `sources:` and not landed (yet): models read it as an
   * empty table of these columns instead of waiting for it.
   */
  emptyColumns?: SourceColumn[];
  /** dbt projects: its `event_time` (see `ModelNode.eventTime`). */
  eventTime?: string;
  /** dbt projects: the file it reads instead of its relation (`DeclaredSource.external`), as SQL. */
  external?: string;
}

/**
 * Something outside the project that reads its models (dbt's `exposures:`):
 * a dashboard, a notebook, an application. Not built; listed, selectable
 * and drawn in the docs graph downstream of what it reads.
 */
export interface ExposureNode {
  kind: "exposure";
  /** `exposure.<name>` */
  id: string;
  name: string;
  /** `dashboard`, `notebook`, `analysis`, `ml` or `application`. */
  type: string;
  label?: string;
  owner: { name?: string; email?: string };
  url?: string;
  description: string;
  maturity?: "high" | "medium" | "low";
  /** Its tags and its config's, sorted (as dbt records them). */
  tags: string[];
  /** Its `meta`, under its config's (as dbt merges them). */
  meta?: Record<string, unknown>;
  /** The YAML file that declares it. */
  path: string;
  /** What it reads (`depends_on`), resolved by the graph as a model's references are. */
  refs: RelationRef[];
}

/**
 * A dbt analysis (a `.sql` file of the analysis paths): SQL rendered
 * against the project, compiled and never run. Listed, selectable
 * (`resource_type:analysis`) and in the manifest, downstream of what it reads.
 */
export interface AnalysisNode {
  kind: "analysis";
  /** `analysis.<name>` */
  id: string;
  name: string;
  /** Its file, relative to the project root. */
  path: string;
  /** Its SQL, rendered. */
  sql: string;
  /** What its `ref()` and `source()` calls name (node ids), resolved by the graph as an exposure's are. */
  refs: RelationRef[];
  /** dbt's fully qualified name: `[project, "analysis", ...folders under its analysis path, name]`. */
  fqn: string[];
}

/** A unit of a freshness threshold. */
export type FreshnessPeriod = "minute" | "hour" | "day";

/** `warn_after` / `error_after`: how old the newest row may be. */
export interface FreshnessThreshold {
  count: number;
  period: FreshnessPeriod;
}

/** A source table's `freshness:`, inherited from its source as dbt does. */
export interface FreshnessRule {
  warnAfter?: FreshnessThreshold;
  errorAfter?: FreshnessThreshold;
  /** A SQL condition the newest row is looked for under. */
  filter?: string;
}

/** A table a `sources:` YAML entry declares. */
export interface DeclaredSource {
  /**
   * Its graph node's id when it has a node of its own: a dbt project's
   * tables do (`source.<source>.<table>`); a plain-SQL project's name the
   * node of their relation, which its models read.
   */
  id?: string;
  /** The source's name (`source('name', …)`). */
  source: string;
  table: string;
  /** `schema.identifier`, lower-cased: the relation it reads. */
  relation: string;
  /** The relation as SQL: `"schema"."identifier"`; the file it reads, with `external`. */
  sql: string;
  /**
   * dbt projects: what dbt-duckdb's `external_location` makes it read
   * instead of its relation (`'data/orders.csv'`, `read_parquet('…')`), as SQL.
   */
  external?: string;
  /** The column (or SQL expression) holding when a row was loaded. */
  loadedAtField?: string;
  /** Instead of `loadedAtField`: a query (rendered SQL) whose one value is the latest load. */
  loadedAtQuery?: string;
  /** Absent: its freshness is not checked. */
  freshness?: FreshnessRule;
  /**
   * Plain-SQL projects: `optional: true`, a table that may not be landed yet;
   * until it is, models read it as an empty table of its `columns`.
   */
  optional?: boolean;
  /** Plain-SQL projects: its `columns:` (name and type, VARCHAR unless `data_type` says). */
  columns?: SourceColumn[];
  /** Its tags (dbt projects: its source's and its own). */
  tags?: string[];
  /** dbt projects: its `meta` (the `sources:` tree's, its source's and its own, merged). */
  meta?: Record<string, unknown>;
  /** dbt projects: dbt's fqn, `[package, ...folders of its properties file, source, table]`. */
  fqn?: string[];
  /** dbt projects: its `event_time` (its own, else its source's). */
  eventTime?: string;
  /** Where the table is declared. */
  location: SourceLocation;
}

/** A column of a declared source table: its name and DuckDB type. */
export interface SourceColumn {
  name: string;
  type: string;
}

/** A macro file in `sql/macros/`, run before models. */
export interface MacroFile {
  path: string;
  sql: string;
}

/** A table of a dbt `sources:` properties entry. */
export interface DeclaredSourceTable {
  /** Its {@linkcode SourceNode}'s id: `source.<source>.<table>`. */
  id: string;
  source: string;
  table: string;
  /** `schema.identifier`, lower-cased: the relation it reads. */
  relation: string;
  description: string;
  /** Its source's description. */
  sourceDescription: string;
  /** Its source's `loader`. */
  loader: string;
  columns: ColumnDoc[];
  /** The properties file that declares it, relative to the project root. */
  path: string;
  /** Its `meta`, all levels merged, and its source's own (dbt's `source_meta`). */
  meta: Record<string, unknown>;
  sourceMeta: Record<string, unknown>;
  /** dbt-duckdb's configs it has (`external_location`, `formatter`), merged over its levels. */
  extra?: Record<string, unknown>;
  /**
   * Its source's `database:` as written (null: not written) and `schema:`
   * when written as Jinja: the manifest's `unrendered_database`/`unrendered_schema`.
   */
  written?: { database: string | null; schema?: string };
}

/** Any node of the project graph. */
export type ProjectNode =
  | ModelNode
  | SeedNode
  | SourceNode
  | GenericTestNode
  | SingularTestNode
  | UnitTestNode
  | ExposureNode
  | AnalysisNode;

/**
 * A hook: its SQL (`sql`), or its Jinja template when it renders as it runs
 * (`template`): a dbt project's hook that reads the warehouse
 * (`run_query()`, `statement`, `load_result()`, in it or in a macro it
 * calls): an on-run-start or on-run-end hook, a model's, seed's or
 * snapshot's pre_hook or post_hook; or an on-run-end hook reading dbt's
 * `results`, `schemas` or `database_schemas` ({@linkcode RunEndContext}).
 * `at` is where it is written (its value in a YAML file, or its `config()`
 * argument in a model's file), for messages; a level's hooks of a dbt
 * project keep theirs as they merge.
 */
export type HookSql = ({ sql: string } | { template: string }) & { at?: SourceLocation };

/**
 * What dbt gives on-run-end hooks of the run that ended, as dbt shapes it:
 * `results`, one per node run (dbt's RunResult: `status`, `timing`,
 * `thread_id`, `execution_time`, `adapter_response`, `message`, `failures`,
 * and `node`, the node as the manifest records it); `schemas`, the schemas
 * the run built a model, seed or snapshot into; `database_schemas`, those as
 * `[database, schema]` pairs.
 */
export interface RunEndContext {
  results: Record<string, unknown>[];
  schemas: string[];
  database_schemas: [string, string][];
}

/**
 * A hook kept as its template (see {@linkcode HookSql}), to render as it
 * runs: where it is written, for messages, and a pass of it against the
 * warehouse. Dispose of it once it has rendered.
 */
export interface HookRender extends Disposable {
  render: WarehouseRenderer<string>;
  /**
   * Where a query the hook ran while it rendered is written, when the hook
   * calls a macro: the macro's line that holds the query as written
   * (`macro finish, macros/finish.sql:3`), or, when no one line does, the
   * macros it reaches that run queries; undefined when the query is the
   * hook's own or none of its macros runs one.
   */
  origin(query: string): string | undefined;
}

/**
 * An on-run-start or on-run-end hook kept as its template, with the run's
 * results for on-run-end: what a dbt project's loader gives the run.
 */
export type RunHookRenderer = (template: string, context?: RunEndContext) => HookRender;

/**
 * A pre_hook or post_hook of node `id` kept as its template ({{ this }} its
 * relation), `is_incremental()` giving `incremental`: true for an
 * incremental model's later run.
 */
export type NodeHookRenderer = (id: string, template: string, incremental: boolean) => HookRender;

/** What the warehouse answered to a query a template ran (`run_query()`, `statement`). */
export interface QueryAnswer {
  columns: string[];
  /** DuckDB's type names, one per column. */
  types: string[];
  /** Each row's values, in the order of `columns`. */
  rows: unknown[][];
}

/** A query a template ran, and its answer. */
export interface AnsweredQuery {
  sql: string;
  answer: QueryAnswer;
}

/** What a template said: `log(…, info=True)`'s text, or `exceptions.warn()`'s (`warning`). */
export interface Said {
  text: string;
  warning?: true;
}

/**
 * One render pass of a template that reads the warehouse, given the
 * answers to the queries it ran so far, in the order it ran them: either
 * `ask`, the next query it runs (it must run before the template can
 * render on), or `done`, what it rendered, with what its `log(…,
 * info=True)` and `exceptions.warn()` said.
 *
 * @throws {Error} what keeps the template from rendering, once every query it ran is answered.
 */
export type WarehouseRenderer<T> = (
  answered: readonly AnsweredQuery[],
) => { ask: string } | { done: T; said: Said[] };

/**
 * The macro `wharf run-operation` names (dbt's `name` or `package.name`):
 * where it is defined, and a pass of it called with its arguments against
 * the warehouse (what it renders is not run, as in dbt); or why it cannot
 * be called.
 */
export type OperationMacro =
  | {
    /** `name`, or `package.name` for a package's. */
    macro: string;
    path: string;
    line: number;
    call: WarehouseRenderer<void>;
  }
  | { problem: string };

/** A loaded project: everything on disk, as plain data, plus what was wrong with it. */
export interface Project {
  config: EngineConfig;
  models: ModelNode[];
  seeds: SeedNode[];
  tests: (GenericTestNode | SingularTestNode)[];
  macros: MacroFile[];
  /** Unit tests (`unit_tests:` in YAML). */
  unitTests?: UnitTestNode[];
  /** Exposures (`exposures:` in YAML): what reads the project from outside. */
  exposures?: ExposureNode[];
  /**
   * SQL run before and after each run's nodes (dbt projects: rendered from
   * Jinja when the project loads; a hook reading the warehouse, or an
   * on-run-end hook reading the run's results, is kept as its template, see
   * {@linkcode HookSql}).
   */
  runHooks?: { start: HookSql[]; end: HookSql[] };
  /** The tables `sources:` YAML entries declare, with their freshness. */
  sources?: DeclaredSource[];
  /** dbt projects: the source tables of `sources:` properties, by source and table name. */
  sourceTables?: DeclaredSourceTable[];
  /** dbt projects: the Jinja macro files of the macro paths (plain projects: {@linkcode macros}). */
  templateMacros?: { path: string; text: string; package?: string }[];
  /** dbt projects: `groups:` of its properties files (metadata: the manifest records them). */
  groups?: DeclaredGroup[];
  /** dbt projects: the analyses of the analysis paths, rendered (compiled, never run). */
  analyses?: AnalysisNode[];
  /** dbt projects: each package's folder, relative to the project root, by package name. */
  packageDirs?: Record<string, string>;
  /** The SQL of `LoadProjectOptions.inline`, compiled. */
  inline?: string;
  /**
   * The text of each node file read while the project loaded (its models',
   * tests', analyses' and seeds'), by path as its nodes name it: what the
   * manifest records as their code and checksums, the texts that were
   * compiled, without reading the files again.
   */
  texts?: ReadonlyMap<string, string>;
  /** dbt projects: the `{% docs %}` blocks of the project and its packages (the manifest's `docs`). */
  docsBlocks?: { name: string; package?: string; path: string; text: string }[];
  /** Problems found while loading, reported together. */
  issues: ProjectIssue[];
}

/** A dbt `groups:` entry: nodes name it in their `group` config. */
export interface DeclaredGroup {
  name: string;
  description: string;
  /** `owner:` as written (`name`, `email`, …). */
  owner: Record<string, unknown>;
  meta: Record<string, unknown>;
  /** The properties file declaring it, relative to the project root. */
  path: string;
  /** The package it comes from; absent: the project. */
  package?: string;
}
