-- Members of every client in one vocabulary, names in proper case, the
-- latest delivered version per (client, member): a later delivery replaces
-- an earlier one (upsert), whatever order the files were landed in.
with members as (
    select * from staging.stg_members_client_a
    union all by name
    select * from staging.stg_members_client_b
)

select
    client,
    member_id,
    proper_case(first_name) as first_name,
    proper_case(middle_name) as middle_name,
    proper_case(last_name) as last_name,
    gender,
    date_of_birth,
    address,
    proper_case(city) as city,
    state,
    zip,
    phone,
    membership_end_date,
    ethnicity,
    period,
    delivered_at,
    _batch_id,
    _file,
    _row_number
from members
qualify row_number() over (
    partition by client, member_id
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
