-- The latest delivered version of each transaction, with whether its visit
-- stands. A transaction references a visit of its own hospital:
--   - a visit in intermediate.int_visitpay_visits: `visit_valid`;
--   - a visit that was delivered but rejected (staging.stg_visitpay_visits__rejected:
--     admit date 11/31/2021, say): the transaction is kept, as a claim of a
--     rejected member is, with `visit_valid` false and the checks the visit's
--     latest rejected delivery failed in `visit_failed_checks` (a warning of
--     the build);
--   - a visit never delivered: an orphan, quarantined by the check known_visit.
-- A transaction whose procedure is unknown is quarantined (known_procedure).
-- The valid rows of the same file are kept.
with transactions as (
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
),

rejected_visits as (
    select hospital, visit_id, _failed_checks
    from staging.stg_visitpay_visits__rejected
    where visit_id is not null
    qualify row_number() over (
        partition by hospital, visit_id
        order by delivered_at desc, _batch_id desc, _row_number desc
    ) = 1
)

select
    t.hospital,
    t.transaction_id,
    t.visit_id,
    t.procedure_id,
    t.amount_cents,
    v.visit_id is not null as visit_valid,
    case when v.visit_id is null then r._failed_checks end as visit_failed_checks,
    t.delivered_at,
    t._batch_id,
    t._file,
    t._row_number
from transactions as t
left join intermediate.int_visitpay_visits as v using (hospital, visit_id)
left join rejected_visits as r using (hospital, visit_id)
