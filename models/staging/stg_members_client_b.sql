-- Client B membership deliveries in the shared vocabulary, one row per
-- delivered line, typed. Client B writes the name as "LAST, FIRST MIDDLE" and
-- calls the end date Elig_Dt. The middle name is the last word after the comma
-- (the deliveries write an initial there, even after a given name of several
-- words: "LASTNAME6, FIRSTNAME6 T F"); the words before it are the first name. ZIPs and phones are normalized where they can
-- be and kept as delivered where not: they are judged on each member's latest
-- row, in intermediate.int_members.
with named as (
    select
        *,
        regexp_split_to_array(
            coalesce(clean_text(split_part(member_fullname, ',', 2)), ''), '[\s\x{00A0}]+'
        ) as given_names
    from raw.membership_client_b
)

select
    -- The source's client, however the file name writes it (CLIENTA, clienta: the
    -- pattern matches any case); _client keeps the name's text.
    'clientB' as client,
    _period as period,
    clean_text(mem_id) as member_id,
    clean_text(array_to_string(given_names[1:greatest(len(given_names) - 1, 1)], ' ')) as first_name,
    case when len(given_names) > 1 then clean_text(given_names[-1]) end as middle_name,
    clean_text(split_part(member_fullname, ',', 1)) as last_name,
    upper(clean_text(gender)) as gender,
    parse_date_any(dob) as date_of_birth,
    clean_text(concat_ws(', ', clean_text(member_address), clean_text(member_address_2))) as address,
    clean_text(member_city) as city,
    upper(clean_text(member_state)) as state,
    coalesce(normalize_zip(member_zip), clean_text(member_zip)) as zip,
    coalesce(normalize_phone(member_phone), clean_text(member_phone)) as phone,
    parse_date_any(elig_dt) as membership_end_date,
    null::varchar as ethnicity,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    clean_text(dob) as date_of_birth_raw,
    member_zip as zip_raw,
    member_phone as phone_raw,
    clean_text(elig_dt) as membership_end_date_raw
from named
-- A line rejected at landing whose mem_id can still be read
-- (staging.stg_landing_rejects.fields) is a delivery of the member too, with
-- its other fields NULL: int_members rejects the member while it is the
-- latest (landed_whole), so an older row never stands in for it.
union all by name
select
    'clientB' as client,
    groups ->> 'period' as period,
    clean_text(fields ->> 'mem_id') as member_id,
    * exclude (source, groups, fields)
from staging.stg_landing_rejects
where source = 'membership_client_b' and clean_text(fields ->> 'mem_id') is not null
