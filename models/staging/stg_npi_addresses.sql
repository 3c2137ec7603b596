-- Every address of every enriched NPI: the LOCATION (primary practice) and
-- MAILING addresses, and the other practice locations (purpose PRACTICE), each
-- with its position in the registry's list. `state` is the registry's value as
-- written (real answers carry `GEORGIA` and `GAS`); `usps_state` is the code of
-- seeds.us_states that value is: the code itself (case and spaces aside), or the
-- full name exactly (case aside, spaces and underscores as one space: `GEORGIA`,
-- `new_york`, `District of Columbia` are GA, NY, DC); anything else is NULL.
with lists as (
    select
        npi,
        coalesce(json_extract(r, '$.addresses[*]'), []) as addresses,
        coalesce(json_extract(r, '$.practiceLocations[*]'), []) as practice_locations
    from staging.stg_npi_latest_responses
    where r is not null
),

addresses as (
    select npi, false as practice, unnest(addresses) as a, unnest(range(1, len(addresses) + 1)) as position
    from lists
    union all
    select npi, true as practice, unnest(practice_locations) as a, unnest(range(1, len(practice_locations) + 1)) as position
    from lists
),

flat as (
    select
        npi,
        case when practice then 'PRACTICE' else upper(a ->> '$.address_purpose') end as purpose,
        position::integer as position,
        a ->> '$.address_1' as address_1,
        nullif(a ->> '$.address_2', '') as address_2,
        a ->> '$.city' as city,
        nullif(a ->> '$.state', '') as state,
        a ->> '$.postal_code' as postal_code,
        a ->> '$.country_code' as country_code,
        a ->> '$.telephone_number' as telephone_number
    from addresses
)

select flat.*, us.code as usps_state
from flat
left join seeds.us_states as us
    on us.code = upper(trim(flat.state))
    or upper(us.name) = upper(trim(regexp_replace(flat.state, '[\s_]+', ' ', 'g')))
