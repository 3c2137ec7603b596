/**
 * The raw tables of Transparency-in-Coverage data, defined once for both
 * jobs that land into them (`wharf tic` for indexes, `wharf tic lookup` for
 * per-EIN lookups): whichever runs first creates them all, so the models
 * that read both compile as soon as either has run.
 *
 * @module
 */
import type { Session } from "../db/warehouse.ts";

const DDL = `
  CREATE SCHEMA IF NOT EXISTS raw;
  CREATE SCHEMA IF NOT EXISTS wharf;
  CREATE SEQUENCE IF NOT EXISTS wharf.batch_ids START 1;
  CREATE TABLE IF NOT EXISTS raw.tic_indexes (
    index_id BIGINT, source VARCHAR, status VARCHAR, reporting_entity_name VARCHAR,
    reporting_entity_type VARCHAR, version VARCHAR, sha256 VARCHAR, compressed_bytes BIGINT,
    bytes BIGINT, elements BIGINT, plans BIGINT, files BIGINT, links BIGINT, error VARCHAR,
    started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, rows_removed BOOLEAN
  );
  ALTER TABLE raw.tic_indexes ADD COLUMN IF NOT EXISTS rows_removed BOOLEAN;
  CREATE TABLE IF NOT EXISTS raw.tic_plans (
    index_id BIGINT, structure_id BIGINT, plan_name VARCHAR, plan_id VARCHAR,
    plan_id_type VARCHAR, plan_market_type VARCHAR
  );
  CREATE TABLE IF NOT EXISTS raw.tic_files (
    index_id BIGINT, file_id BIGINT, kind VARCHAR, url_key VARCHAR, url VARCHAR, host VARCHAR,
    file_name VARCHAR, description VARCHAR
  );
  CREATE TABLE IF NOT EXISTS raw.tic_plan_files (index_id BIGINT, structure_id BIGINT, file_id BIGINT);
  CREATE TABLE IF NOT EXISTS raw.tic_lookups (
    lookup_id BIGINT, source VARCHAR, ein VARCHAR, lastupdated VARCHAR, sha256 VARCHAR,
    entries BIGINT, added BIGINT, landed_at TIMESTAMPTZ
  );
  CREATE TABLE IF NOT EXISTS raw.tic_lookup_files (
    lookup_id BIGINT, ein VARCHAR, lastupdated VARCHAR, section VARCHAR, entry BIGINT,
    url VARCHAR, url_key VARCHAR, host VARCHAR, file_name VARCHAR, displayname VARCHAR
  );
`;

/**
 * Creates the `raw.tic_*` tables (and `wharf.batch_ids`) that do not exist
 * yet, and adds the columns later versions introduced to older ones.
 */
export async function ensureTicTables(session: Session): Promise<void> {
  await session.exec(DDL);
}
