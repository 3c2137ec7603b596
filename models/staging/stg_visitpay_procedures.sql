-- VisitPay procedures, one row per delivered line, typed.
select
    try_cast(clean_text(procedure_id) as bigint) as procedure_id,
    clean_text(procedure_description) as procedure_description,
    _hospital as hospital,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    procedure_id as procedure_id_raw
from raw.visitpay_procedure
