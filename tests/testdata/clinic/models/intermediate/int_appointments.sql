select
    a.appointment_id,
    a.patient_id,
    a.provider,
    a.appointment_date,
    a.status,
    coalesce(p.payments, 0) as payments,
    coalesce(p.paid_cents, 0) as paid_cents
from staging.stg_appointments as a
left join intermediate.int_payments_by_appointment as p using (appointment_id)
