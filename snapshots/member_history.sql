-- Every version of each member's address and eligibility, one row per version:
-- a member is a client's member id (ids repeat across clients), and a version
-- starts at the delivery that brought it (dbt_valid_from = delivered_at) and
-- ends at the delivery that changed it (dbt_valid_to; NULL while current).
-- Contact fields are the checked values of intermediate.int_members (a bad ZIP
-- is NULL there, and so here).
select
    client,
    member_id,
    first_name,
    last_name,
    address,
    city,
    state,
    zip,
    membership_end_date,
    period,
    delivered_at
from intermediate.int_members
