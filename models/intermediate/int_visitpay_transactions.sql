-- The latest delivered version of each transaction. Transactions whose
-- visit or procedure is unknown are quarantined row by row (checks), the
-- valid rows of the same file are kept.
select
    hospital,
    transaction_id,
    visit_id,
    procedure_id,
    amount_cents,
    delivered_at,
    _batch_id,
    _file,
    _row_number
from staging.stg_visitpay_transactions
qualify row_number() over (
    partition by hospital, transaction_id
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
