-- The latest delivered version of each procedure.
select *
from staging.stg_visitpay_procedures
qualify row_number() over (
    partition by hospital, procedure_id
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
