-- One row per NPI of the ledger and practice state. An enriched provider has
-- a row per state it practices in (its LOCATION address and its other practice
-- locations; two practices in one state are one row) showing its practice
-- address in that state: the LOCATION address when it is there, else the first
-- practice location there. practice_state is the USPS code of the state the
-- registry wrote, as a code or a full name (`GEORGIA` is GA), and registry_state
-- the value as written; any other value (`GAS`) gives a row with practice_state
-- NULL and the value in registry_state; a provider with no practice location at
-- all has one row with both NULL. NPIs not found, invalid, failed or pending have one row
-- with their ledger state and last error. `wharf export npi-by-state` writes
-- one CSV per practice_state from it, plus Other, None and Failed.
with practice_addresses as (
    select
        *,
        row_number() over (
            partition by npi, coalesce(usps_state, state)
            order by purpose = 'LOCATION' desc, position
        ) as rank_in_state
    from staging.stg_npi_addresses
    where purpose in ('LOCATION', 'PRACTICE') and state is not null
),

primary_taxonomy as (
    select npi, arg_min(code, position) as code, arg_min(description, position) as description
    from staging.stg_npi_taxonomies
    where is_primary
    group by npi
)

select
    l.npi,
    a.usps_state as practice_state,
    a.state as registry_state,
    l.state as ledger_state,
    p.enumeration_type,
    p.name,
    t.code as primary_taxonomy_code,
    t.description as primary_taxonomy,
    a.address_1,
    a.address_2,
    a.city,
    a.postal_code,
    a.telephone_number,
    p.status,
    p.deactivation_date,
    p.reactivation_date,
    l.last_error,
    l.updated_at
from wharf.npi_ledger as l
left join staging.stg_npi_providers as p on p.npi = l.npi and l.state = 'enriched'
left join practice_addresses as a on a.npi = p.npi and a.rank_in_state = 1
left join primary_taxonomy as t on t.npi = p.npi
