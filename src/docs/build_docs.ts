/**
 * `wharf docs build`: the manifest and the site, written to a folder.
 *
 * @module
 */
import { join } from "node:path";
import type { EngineConfig } from "../engine/config.ts";
import { openWarehouse, type Warehouse } from "../engine/db/warehouse.ts";
import { compiledFiles, compileProject, writeFiles } from "../engine/compile/compile_project.ts";
import { WarehouseError, WarehousePathError, WarehouseTargetError } from "../engine/errors.ts";
import { listCatalogs, listSources } from "../engine/run/run_project.ts";
import { writeManifestOf } from "../engine/artifacts/dbt_manifest.ts";
import { dbtCatalog, writeDbtCatalog } from "../engine/artifacts/dbt_catalog.ts";
import { type ApiNode, buildManifest, type Manifest } from "./manifest.ts";
import { renderSite } from "./site.ts";

/** Options of {@linkcode buildDocs}. */
export interface BuildDocsOptions {
  /** The warehouse to read what was built from. */
  db: string;
  /** Folder to write into. */
  out: string;
  /** API endpoints to draw downstream of the relations they read (see `serve/api_nodes.ts`). */
  apiNodes?: readonly ApiNode[];
  /**
   * False: the site alone (`index.html`, whose data is inline), no docs
   * `manifest.json` beside it: `wharf docs generate` writes the site into a
   * dbt project's target folder, where `manifest.json` is dbt's.
   */
  docsManifest?: boolean;
}

/**
 * Writes `manifest.json` (unless `docsManifest` is false) and `index.html` into `out`, and dbt's
 * `manifest.json` and `catalog.json` (and every node's compiled SQL under
 * `compiled/`) into the target folder; returns the docs manifest.
 */
export async function buildDocs(
  config: EngineConfig,
  options: BuildDocsOptions,
): Promise<Manifest> {
  let db: Warehouse | undefined;
  try {
    db = await openWarehouse(options.db, { readOnly: true, attach: config.attach });
  } catch (err) {
    // Not built yet, or busy: document the project alone.
    if (
      !(err instanceof WarehouseError) || err instanceof WarehousePathError ||
      err instanceof WarehouseTargetError
    ) throw err;
  }
  try {
    const sources = db ? await listSources(db) : undefined;
    const cp = await compileProject(config, {
      sources,
      catalogs: db ? await listCatalogs(db) : undefined,
      deferMissingSources: true,
    });
    const manifest = await buildManifest(cp, db, { apiNodes: options.apiNodes });
    // dbt's artifacts, as `dbt docs generate` writes them: every node's compiled SQL under
    // target/compiled/, target/manifest.json and catalog.json.
    const written = compiledFiles(cp, [...cp.compiled.values()], {
      analyses: cp.project.analyses,
      run: false,
    });
    await writeFiles(written.files);
    const dbt = await writeManifestOf(cp, written.compiled);
    await writeDbtCatalog(
      config,
      await dbtCatalog(cp, db, {
        invocationId: String(dbt.metadata.invocation_id),
        startedAt: new Date(String(dbt.metadata.invocation_started_at)),
      }),
    );
    await Deno.mkdir(options.out, { recursive: true });
    if (options.docsManifest !== false) {
      await Deno.writeTextFile(
        join(options.out, "manifest.json"),
        JSON.stringify(manifest, null, 1),
      );
    }
    await Deno.writeTextFile(join(options.out, "index.html"), renderSite(manifest));
    return manifest;
  } finally {
    db?.close();
  }
}
