/**
 * The dbt version wharf answers for: the manifest's `dbt_version` and the
 * templates' `{{ dbt_version }}`.
 *
 * @module
 */

/** The dbt version whose artifacts and Jinja context wharf follows. */
export const DBT_VERSION = "1.9.0";
