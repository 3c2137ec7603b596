select
    appointment_id,
    count(*) as payments,
    sum(amount_cents) as paid_cents
from staging.stg_payments
group by appointment_id
