-- Client A membership deliveries in the shared vocabulary, one row per
-- delivered line, typed. Client A writes dates of birth as text ("April 4,
-- 2003") and end dates as dates. ZIPs and phones are normalized (2130 ->
-- 02130) where they can be and kept as delivered where not: they are judged
-- on each member's latest row, in intermediate.int_members.
select
    -- The source's client, however the file name writes it (CLIENTA, clienta: the
    -- pattern matches any case); _client keeps the name's text.
    'clientA' as client,
    _period as period,
    clean_text(member_id) as member_id,
    clean_text(member_first_name) as first_name,
    clean_text(member_middle_name) as middle_name,
    clean_text(member_last_name) as last_name,
    upper(clean_text(gender)) as gender,
    parse_date_any(date_of_birth) as date_of_birth,
    clean_text(address) as address,
    clean_text(city) as city,
    upper(clean_text(state)) as state,
    coalesce(normalize_zip(zip), clean_text(zip)) as zip,
    coalesce(normalize_phone(phone_number), clean_text(phone_number)) as phone,
    parse_date_any(membership_end_date) as membership_end_date,
    clean_text(ethnicity) as ethnicity,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    clean_text(date_of_birth) as date_of_birth_raw,
    zip as zip_raw,
    phone_number as phone_raw,
    clean_text(membership_end_date) as membership_end_date_raw
from raw.membership_client_a
-- A line rejected at landing whose member id can still be read
-- (staging.stg_landing_rejects.fields) is a delivery of the member too, with
-- its other fields NULL: int_members rejects the member while it is the
-- latest (landed_whole), so an older row never stands in for it.
union all by name
select
    'clientA' as client,
    groups ->> 'period' as period,
    clean_text(fields ->> 'member_id') as member_id,
    * exclude (source, groups, fields)
from staging.stg_landing_rejects
where source = 'membership_client_a' and clean_text(fields ->> 'member_id') is not null
