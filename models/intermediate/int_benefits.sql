-- The latest figures per member and benefit source.
select
    member_id,
    source,
    oop_max,
    remaining_oop_max,
    copay,
    as_of,
    delivered_at,
    _batch_id,
    _file,
    _row_number
from staging.stg_benefits
qualify row_number() over (
    partition by member_id, source
    order by delivered_at desc, as_of desc nulls last, _batch_id desc, _row_number desc
) = 1
