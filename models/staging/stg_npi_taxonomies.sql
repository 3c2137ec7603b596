-- Every taxonomy of every enriched NPI, with its primary flag.
with latest as (
    select npi, body -> '$.results[0]' as r
    from raw.npi_responses
    qualify row_number() over (partition by npi order by fetched_at desc) = 1
),

taxonomies as (
    select npi, unnest(coalesce(json_extract(r, '$.taxonomies[*]'), [])) as t
    from latest
)

select
    npi,
    t ->> '$.code' as code,
    t ->> '$.desc' as description,
    coalesce(try_cast(t ->> '$.primary' as boolean), false) as is_primary,
    nullif(t ->> '$.state', '') as state,
    nullif(t ->> '$.license', '') as license
from taxonomies
