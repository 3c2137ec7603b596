-- One row per patient, names trimmed and typed.
select
    patient_id::integer as patient_id,
    trim(first_name) as first_name,
    trim(last_name) as last_name,
    birth_date::date as birth_date,
    upper(state) as state
from seeds.patients
