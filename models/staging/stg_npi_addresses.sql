-- Every address of every enriched NPI: the LOCATION and MAILING addresses,
-- and the other practice locations (purpose PRACTICE).
with addresses as (
    select npi, unnest(coalesce(json_extract(r, '$.addresses[*]'), [])) as a, false as practice
    from staging.stg_npi_latest_responses
    union all
    select npi, unnest(coalesce(json_extract(r, '$.practiceLocations[*]'), [])) as a, true as practice
    from staging.stg_npi_latest_responses
)

select
    npi,
    case when practice then 'PRACTICE' else upper(a ->> '$.address_purpose') end as purpose,
    a ->> '$.address_1' as address_1,
    nullif(a ->> '$.address_2', '') as address_2,
    a ->> '$.city' as city,
    nullif(upper(a ->> '$.state'), '') as state,
    a ->> '$.postal_code' as postal_code,
    a ->> '$.country_code' as country_code,
    a ->> '$.telephone_number' as telephone_number
from addresses
