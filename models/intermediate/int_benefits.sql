-- The latest figures per member and benefit source, then judged: the latest
-- delivery (file name time) wins, then, within one delivery, the latest
-- as_of. An as_of that cannot be read may be the latest: it comes first, so
-- that its row is judged (and rejected, valid_as_of) rather than passed over;
-- a row without as_of comes last. The checks (intermediate.yml) judge this
-- row only: when it is rejected, the source's older figures never stand in.
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
    _row_number,
    oop_max_raw,
    remaining_oop_max_raw,
    copay_raw,
    as_of_raw
from staging.stg_benefits
qualify row_number() over (
    partition by member_id, source
    order by
        delivered_at desc,
        (as_of_raw is not null and as_of is null) desc,
        as_of desc nulls last,
        _batch_id desc,
        _row_number desc
) = 1
