-- One row per client and member: the latest membership with its eligibility
-- end date, and the member's status as of the project's as_of_date
-- (wharf.config.ts vars, or --vars as_of_date=YYYY-MM-DD). Contact fields
-- that failed their checks are NULL (see intermediate.int_members__rejected_values).
select
    client,
    member_id,
    first_name,
    middle_name,
    last_name,
    gender,
    date_of_birth,
    address,
    city,
    state,
    zip,
    phone,
    membership_end_date,
    wharf_var('as_of_date')::date as status_as_of,
    case
        when membership_end_date >= wharf_var('as_of_date')::date then 'active'
        else 'inactive'
    end as status,
    period as latest_period,
    delivered_at
from intermediate.int_members
