select
    appointment_date as day,
    count(*) as appointments,
    sum(paid_cents) as paid_cents
from intermediate.int_appointments
group by appointment_date
