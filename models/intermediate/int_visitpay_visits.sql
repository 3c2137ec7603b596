-- The latest delivered version of each visit: deliveries are upserts, and a
-- late file (older timestamp, landed last) does not replace newer versions.
select
    hospital,
    visit_id,
    guarantor_id,
    admit_date,
    discharge_date,
    balance_cents,
    insurance_id,
    delivered_at,
    _batch_id,
    _file,
    _row_number
from staging.stg_visitpay_visits
qualify row_number() over (
    partition by hospital, visit_id
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
