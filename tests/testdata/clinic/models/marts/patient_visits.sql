-- Per patient: visits kept, missed, and what they paid.
with visits as (
    select
        patient_id,
        count(*) filter (where status = 'completed') as completed_visits,
        count(*) filter (where status = 'no_show') as missed_visits,
        sum(paid_cents) as paid_cents,
        max(appointment_date) as last_visit
    from intermediate.int_appointments
    group by patient_id
)

select
    p.patient_id,
    p.first_name,
    p.last_name,
    p.state,
    coalesce(v.completed_visits, 0) as completed_visits,
    coalesce(v.missed_visits, 0) as missed_visits,
    coalesce(v.paid_cents, 0) as paid_cents,
    v.last_visit
from staging.stg_patients as p
left join visits as v using (patient_id)
