-- Other identifiers (Medicaid and the like) of every enriched NPI.
with identifiers as (
    select npi, unnest(coalesce(json_extract(r, '$.identifiers[*]'), [])) as i
    from staging.stg_npi_latest_responses
    where r is not null
)

select
    npi,
    i ->> '$.identifier' as identifier,
    i ->> '$.code' as code,
    i ->> '$.desc' as description,
    nullif(i ->> '$.state', '') as state,
    nullif(i ->> '$.issuer', '') as issuer
from identifiers
