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
-- (wharf.rejects.fields) is a delivery of the transaction too: its visit id
-- as the line gives it (best effort: the fields are matched to the header by
-- position), its other fields NULL. int_visitpay_transactions rejects the
-- transaction while it is the latest (landed_whole), so an older version
-- never stands in for it, and its visit is not reconciled.
union all by name
select
    clean_text(r.fields ->> 'transaction_identifier') as transaction_id,
    clean_text(r.fields ->> 'visit_identifier') as visit_id,
    f.groups ->> 'hospital' as hospital,
    utc_instant(f.delivered_at) as delivered_at,
    r.batch_id as _batch_id,
    r.file as _file,
    r.line as _row_number,
    r.error as landing_error,
    r.original as landed_text
from wharf.rejects as r
inner join wharf.files as f on r.batch_id = f.batch_id and f.status = 'landed'
where r.source = 'visitpay_transaction'
    and clean_text(r.fields ->> 'transaction_identifier') is not null
