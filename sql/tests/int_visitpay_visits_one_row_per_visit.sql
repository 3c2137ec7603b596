-- Visit ids repeat across hospitals: one row per (hospital, visit_id).
select hospital, visit_id, count(*) as versions
from intermediate.int_visitpay_visits
group by hospital, visit_id
having count(*) > 1
