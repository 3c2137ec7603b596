-- The latest delivered version of each transaction per hospital (the latest
-- delivery time, then batch, then line), then judged: an amount that is no
-- whole number of cents in that latest version rejects the transaction
-- (valid_amount, amount_in_whole_cents), and so does a latest line rejected at
-- landing (landed_whole: landing_rejection, landed_text); an older version
-- never stands in.
-- A transaction references a visit of its own hospital, as that visit's
-- latest delivery says:
--   - a visit in intermediate.int_visitpay_visits: `visit_valid`;
--   - a visit whose latest delivery was rejected
--     (intermediate.int_visitpay_visits__rejected: admit date 11/31/2021,
--     say): the transaction is kept, as a claim of a rejected member is, with
--     `visit_valid` false and the checks that delivery failed in
--     `visit_failed_checks` (a warning of the build);
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
        _row_number,
        amount_raw,
        case
            when landing_error is not null
                then format('its line {} in {} was rejected when landed: {}', _row_number, _file, landing_error)
        end as landing_rejection,
        landed_text
    from staging.stg_visitpay_transactions
    qualify row_number() over (
        partition by hospital, transaction_id
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
    t._row_number,
    t.amount_raw,
    t.landing_rejection,
    t.landed_text
from transactions as t
left join intermediate.int_visitpay_visits as v using (hospital, visit_id)
left join intermediate.int_visitpay_visits__rejected as r using (hospital, visit_id)
