-- Other identifiers (Medicaid, …) of every enriched NPI.
with latest as (
    select npi, body -> '$.results[0]' as r
    from raw.npi_responses
    qualify row_number() over (partition by npi order by fetched_at desc) = 1
),

identifiers as (
    select npi, unnest(coalesce(json_extract(r, '$.identifiers[*]'), [])) as i
    from latest
)

select
    npi,
    i ->> '$.identifier' as identifier,
    i ->> '$.code' as code,
    i ->> '$.desc' as description,
    nullif(i ->> '$.state', '') as state,
    nullif(i ->> '$.issuer', '') as issuer
from identifiers
