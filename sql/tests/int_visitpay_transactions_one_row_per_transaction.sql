-- Transaction ids repeat across hospitals: one row per (hospital, transaction_id).
select hospital, transaction_id, count(*) as versions
from intermediate.int_visitpay_transactions
group by hospital, transaction_id
having count(*) > 1
