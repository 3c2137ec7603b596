-- Every taxonomy of every enriched NPI, with its primary flag.
with taxonomies as (
    select npi, unnest(coalesce(json_extract(r, '$.taxonomies[*]'), [])) as t
    from staging.stg_npi_latest_responses
)

select
    npi,
    t ->> '$.code' as code,
    t ->> '$.desc' as description,
    coalesce(try_cast(t ->> '$.primary' as boolean), false) as is_primary,
    nullif(t ->> '$.state', '') as state,
    nullif(t ->> '$.license', '') as license
from taxonomies
