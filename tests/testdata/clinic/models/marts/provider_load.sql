select
    provider,
    count(*) as appointments,
    count(distinct patient_id) as patients,
    round(avg(paid_cents) / 100, 2) as avg_paid_dollars
from intermediate.int_appointments
group by provider
