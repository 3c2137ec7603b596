-- One row per NPI of the ledger and practice state: enriched providers once
-- per state they practice in (LOCATION address or practice locations; two
-- practices in one state are one row), with practice_state NULL when they
-- have none; NPIs not found, invalid or failed with their ledger state and
-- last error. `wharf export npi-by-state` writes one CSV per practice state
-- from it, plus None and Failed.
with practice_states as (
    select distinct npi, state
    from staging.stg_npi_addresses
    where purpose in ('LOCATION', 'PRACTICE') and state is not null
),

primary_taxonomy as (
    select npi, any_value(code) as code, any_value(description) as description
    from staging.stg_npi_taxonomies
    where is_primary
    group by npi
),

location as (
    select npi, any_value(address_1) as address_1, any_value(city) as city, any_value(postal_code) as postal_code,
        any_value(telephone_number) as telephone_number
    from staging.stg_npi_addresses
    where purpose = 'LOCATION'
    group by npi
)

select
    l.npi,
    s.state as practice_state,
    l.state as ledger_state,
    p.enumeration_type,
    p.name,
    t.code as primary_taxonomy_code,
    t.description as primary_taxonomy,
    loc.address_1,
    loc.city,
    loc.postal_code,
    loc.telephone_number,
    l.last_error,
    l.updated_at
from wharf.npi_ledger as l
left join staging.stg_npi_providers as p on p.npi = l.npi and l.state = 'enriched'
left join practice_states as s on s.npi = p.npi
left join primary_taxonomy as t on t.npi = p.npi
left join location as loc on loc.npi = p.npi
