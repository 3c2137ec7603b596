-- Every taxonomy of every enriched NPI, with its primary flag and its position
-- in the registry's list.
with lists as (
    select npi, coalesce(json_extract(r, '$.taxonomies[*]'), []) as taxonomies
    from staging.stg_npi_latest_responses
    where r is not null
),

taxonomies as (
    select npi, unnest(taxonomies) as t, unnest(range(1, len(taxonomies) + 1)) as position
    from lists
)

select
    npi,
    position::integer as position,
    t ->> '$.code' as code,
    t ->> '$.desc' as description,
    coalesce(try_cast(t ->> '$.primary' as boolean), false) as is_primary,
    nullif(t ->> '$.state', '') as state,
    nullif(t ->> '$.license', '') as license
from taxonomies
