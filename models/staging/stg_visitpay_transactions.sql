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
