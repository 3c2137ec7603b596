-- VisitPay transactions, one row per delivered line, amount in cents.
select
    clean_text(transaction_identifier) as transaction_id,
    clean_text(visit_identifier) as visit_id,
    try_cast(clean_text(procedure_id) as bigint) as procedure_id,
    to_cents(amount) as amount_cents,
    _hospital as hospital,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    amount as amount_raw
from raw.visitpay_transaction
-- A line rejected at landing whose transaction id can still be read
-- (staging.stg_landing_rejects.fields) is a delivery of the transaction too:
-- its visit id as the line gives it (best effort: the fields are matched to
-- the header by position), its other fields NULL. int_visitpay_transactions
-- rejects the transaction while it is the latest (landed_whole), so an older
-- version never stands in for it, and its visit is not reconciled.
union all by name
select
    clean_text(fields ->> 'transaction_identifier') as transaction_id,
    clean_text(fields ->> 'visit_identifier') as visit_id,
    groups ->> 'hospital' as hospital,
    * exclude (source, groups, fields)
from staging.stg_landing_rejects
where source = 'visitpay_transaction'
    and clean_text(fields ->> 'transaction_identifier') is not null
