-- marts.visit_financials has one row per (hospital, visit_id).
select hospital, visit_id, count(*) as rows
from marts.visit_financials
group by hospital, visit_id
having count(*) > 1
