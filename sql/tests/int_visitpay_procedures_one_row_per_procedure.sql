-- Procedure ids repeat across hospitals: one row per (hospital, procedure_id).
select hospital, procedure_id, count(*) as versions
from intermediate.int_visitpay_procedures
group by hospital, procedure_id
having count(*) > 1
