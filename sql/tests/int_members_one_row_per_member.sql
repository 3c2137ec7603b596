-- Member ids are unique per client only: one row per (client, member_id).
select client, member_id, count(*) as versions
from intermediate.int_members
group by client, member_id
having count(*) > 1
