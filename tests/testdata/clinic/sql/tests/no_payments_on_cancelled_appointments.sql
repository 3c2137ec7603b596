-- Every payment belongs to an appointment that was not cancelled.
select p.*
from staging.stg_payments as p
join staging.stg_appointments as a using (appointment_id)
where a.status = 'cancelled'
