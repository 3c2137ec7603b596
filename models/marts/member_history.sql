-- Every version of each member's address and eligibility, read from the
-- deliveries themselves (not from the state at build time): a member is a
-- client's member id (ids repeat across clients). Each delivery (file period,
-- `delivered_at`) gives one state per member: its last line for the member
-- (a later batch of the same delivery time wins, as in int_members). In
-- delivery order, a state equal to the one before is no new version; a
-- version is valid from the delivery that brought it (dbt_valid_from) to the
-- next delivery that changed it (dbt_valid_to; NULL while current). So the
-- history is the same however the deliveries were landed and built: both at
-- once, one at a time, or late. A member no longer delivered keeps its last
-- version current.
--
-- Contact fields are judged as int_members judges them (intermediate.yml:
-- valid_state, valid_zip, known_zip): a bad value is NULL here. An end date
-- that cannot be read is NULL (int_members rejects a member whose latest
-- delivery has one). A line rejected at landing whose member id can be read
-- is a version with every field NULL: nothing else of it could be read.
with delivered as (
    select * from staging.stg_members_client_a
    union all by name
    select * from staging.stg_members_client_b
),

states as (
    select
        client,
        member_id,
        name_case(first_name) as first_name,
        name_case(last_name) as last_name,
        address,
        name_case(city) as city,
        case when state in (select code from seeds.us_states) then state end as state,
        case
            when zip ~ '[0-9]{5}(-[0-9]{4})?'
                and try_cast(left(zip, 5) as integer) in (select zip from seeds.us_zips)
                then zip
        end as zip,
        membership_end_date,
        period,
        delivered_at
    from delivered
    qualify row_number() over (
        partition by client, member_id, delivered_at
        order by _batch_id desc, _row_number desc
    ) = 1
),

changes as (
    select
        *,
        {
            'address': address,
            'city': city,
            'state': state,
            'zip': zip,
            'membership_end_date': membership_end_date
        } is distinct from lag({
            'address': address,
            'city': city,
            'state': state,
            'zip': zip,
            'membership_end_date': membership_end_date
        }) over (partition by client, member_id order by delivered_at) as changed
    from states
)

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
    delivered_at,
    delivered_at as dbt_valid_from,
    lead(delivered_at) over (partition by client, member_id order by delivered_at) as dbt_valid_to
from changes
where changed
