-- Members of every client in one vocabulary: the latest delivered row per
-- (client, member). A later delivery replaces an earlier one (upsert),
-- whatever order the files were landed in; within one file the later line
-- wins. The checks (intermediate.yml) judge this latest row only: a bad phone
-- on it is set to NULL, never replaced by an older row, and an impossible end
-- date rejects the member rather than let an older end date decide the status;
-- so does a latest line rejected at landing (landing_rejection, landed_text).
-- Names and cities delivered all upper or all lower case are re-cased; mixed
-- case (MacLeod, van der Berg) is kept as delivered.
with members as (
    select * from staging.stg_members_client_a
    union all by name
    select * from staging.stg_members_client_b
)

select
    client,
    member_id,
    name_case(first_name) as first_name,
    name_case(middle_name) as middle_name,
    name_case(last_name) as last_name,
    gender,
    date_of_birth,
    address,
    name_case(city) as city,
    state,
    zip,
    phone,
    membership_end_date,
    ethnicity,
    period,
    delivered_at,
    _batch_id,
    _file,
    _row_number,
    date_of_birth_raw,
    membership_end_date_raw,
    case
        when landing_error is not null
            then format('its line {} in {} was rejected when landed: {}', _row_number, _file, landing_error)
    end as landing_rejection,
    landed_text
from members
qualify row_number() over (
    partition by client, member_id
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
