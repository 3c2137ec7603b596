-- One row per member and benefit source with the figures in integer cents
-- and when the source reported them: what the coalescing API reads.
select
    member_id,
    source,
    oop_max,
    remaining_oop_max,
    copay,
    coalesce(as_of, delivered_at) as as_of
from intermediate.int_benefits
