-- VisitPay visits, one row per delivered line: dates (M/D/YYYY) and the
-- balance (dollars) typed; the delivered text is kept beside for rejections.
select
    clean_text(visit_identifier) as visit_id,
    clean_text(guarantor_identifier) as guarantor_id,
    parse_date_any(admit_date) as admit_date,
    parse_date_any(discharge_date) as discharge_date,
    to_cents(visit_balance) as balance_cents,
    clean_text(insurance_identifier) as insurance_id,
    _hospital as hospital,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    admit_date as admit_date_raw,
    discharge_date as discharge_date_raw,
    visit_balance as visit_balance_raw
from raw.visitpay_visit
-- A line rejected at landing whose visit id can still be read
-- (staging.stg_landing_rejects.fields) is a delivery of the visit too, with
-- its other fields NULL: int_visitpay_visits rejects the visit while it is
-- the latest (landed_whole), so an older version never stands in for it.
union all by name
select
    clean_text(fields ->> 'visit_identifier') as visit_id,
    groups ->> 'hospital' as hospital,
    * exclude (source, groups, fields)
from staging.stg_landing_rejects
where source = 'visitpay_visit' and clean_text(fields ->> 'visit_identifier') is not null
