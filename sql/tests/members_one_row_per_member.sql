-- marts.members has one row per (client, member_id).
select client, member_id, count(*) as rows
from marts.members
group by client, member_id
having count(*) > 1
