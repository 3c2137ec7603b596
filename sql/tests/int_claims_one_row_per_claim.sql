-- Claim numbers repeat across clients: one row per (client, claim_number).
select client, claim_number, count(*) as versions
from intermediate.int_claims
group by client, claim_number
having count(*) > 1
