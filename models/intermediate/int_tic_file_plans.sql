-- Each in-network file of a complete TiC index with every plan that links to
-- it (through their reporting structure). Indexes that failed or were cut
-- short are left out: nothing of them counts.
with complete as (
    select index_id from raw.tic_indexes where status = 'complete'
)

select
    f.index_id,
    f.file_id,
    f.url_key,
    f.url,
    f.host,
    f.file_name,
    f.description,
    p.plan_name,
    p.plan_id,
    p.plan_id_type,
    p.plan_market_type
from raw.tic_files as f
join complete using (index_id)
join raw.tic_plan_files as l using (index_id, file_id)
join raw.tic_plans as p using (index_id, structure_id)
where f.kind = 'in_network'
