-- The lines rejected at landing (wharf.rejects) of the files that landed,
-- one row per line, with its file's delivery (wharf.files). The member, visit
-- and transaction staging models add those of their source whose id can
-- still be read (fields) as a delivery of that member, visit or transaction:
-- they read its id and groups and take the other columns (delivered_at to
-- landed_text, the staging models' names) as they are,
-- `* exclude (source, groups, fields)`.
-- Ephemeral: inlined into the staging models that read it.
select
    r.source,
    f.groups,
    utc_instant(f.delivered_at) as delivered_at,
    r.batch_id as _batch_id,
    r.file as _file,
    r.line as _row_number,
    r.error as landing_error,
    r.original as landed_text,
    r.fields
from wharf.rejects as r
inner join wharf.files as f on r.batch_id = f.batch_id and f.status = 'landed'
