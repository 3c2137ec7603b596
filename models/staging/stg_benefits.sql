-- Benefit figures per member from each source, in integer cents, one row per
-- delivered line. A figure that is no whole number (12.5) is NULL here; it,
-- a figure negative or over the cap the API serves (100,000,000,000 cents)
-- and an as_of that is no timestamp reject the latest figures of the member
-- and source in intermediate.int_benefits, with the delivered text kept. A
-- row without as_of takes its delivery time downstream.
select
    clean_text(member_id) as member_id,
    _benefit_source as source,
    whole_number(oop_max) as oop_max,
    whole_number(remaining_oop_max) as remaining_oop_max,
    whole_number(copay) as copay,
    try_cast(clean_text(as_of) as timestamptz) as as_of,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    clean_text(oop_max) as oop_max_raw,
    clean_text(remaining_oop_max) as remaining_oop_max_raw,
    clean_text(copay) as copay_raw,
    clean_text(as_of) as as_of_raw
from raw.benefits
