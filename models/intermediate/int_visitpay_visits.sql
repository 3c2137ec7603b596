-- The latest delivered version of each visit per hospital, then judged:
-- deliveries are upserts, so the latest delivery time wins, then the latest
-- batch, and within one file the later line; a late file (older timestamp,
-- landed last) does not replace newer versions. The checks
-- (intermediate.yml) judge this latest row only: when it is invalid (an
-- admit date 11/31/2021) the visit goes to int_visitpay_visits__rejected
-- with the delivered text, and an older valid version never stands in for
-- it; a later valid delivery brings the visit back. A latest line rejected at
-- landing rejects the visit too (landing_rejection, landed_text).
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
    _row_number,
    admit_date_raw,
    discharge_date_raw,
    visit_balance_raw,
    case
        when landing_error is not null
            then format('its line {} in {} was rejected when landed: {}', _row_number, _file, landing_error)
    end as landing_rejection,
    landed_text
from staging.stg_visitpay_visits
qualify row_number() over (
    partition by hospital, visit_id
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
