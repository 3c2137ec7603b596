-- Benefit figures per member from each source, in integer cents.
select
    clean_text(member_id) as member_id,
    _benefit_source as source,
    try_cast(clean_text(oop_max) as bigint) as oop_max,
    try_cast(clean_text(remaining_oop_max) as bigint) as remaining_oop_max,
    try_cast(clean_text(copay) as bigint) as copay,
    try_cast(clean_text(as_of) as timestamptz) as as_of,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number
from raw.benefits
