select
    appointment_id::integer as appointment_id,
    patient_id::integer as patient_id,
    provider,
    appointment_date::date as appointment_date,
    lower(status) as status
from seeds.appointments
