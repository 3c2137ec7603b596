-- marts.member_history: each member has exactly one current version (dbt_valid_to NULL), and
-- no two versions start at the same delivery.
select client, member_id, count(*) filter (where dbt_valid_to is null) as current_versions,
    count(*) - count(distinct dbt_valid_from) as versions_sharing_a_start
from marts.member_history
group by client, member_id
having count(*) filter (where dbt_valid_to is null) <> 1
    or count(*) <> count(distinct dbt_valid_from)
