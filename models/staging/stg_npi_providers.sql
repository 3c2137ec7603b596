-- One row per enriched NPI, from its latest registry response. Both shapes
-- the registry has served are read: older (number and epochs as integers,
-- epochs in seconds) and newer (strings, epochs in milliseconds, endpoints).
-- status is the registry's basic.status: A (active) or D (deactivated).
select
    npi,
    r ->> '$.number' as number,
    r ->> '$.enumeration_type' as enumeration_type,
    coalesce(
        r ->> '$.basic.organization_name',
        nullif(concat_ws(' ', r ->> '$.basic.first_name', r ->> '$.basic.last_name'), '')
    ) as name,
    r ->> '$.basic.first_name' as first_name,
    r ->> '$.basic.last_name' as last_name,
    r ->> '$.basic.organization_name' as organization_name,
    r ->> '$.basic.credential' as credential,
    r ->> '$.basic.gender' as gender,
    r ->> '$.basic.status' as status,
    parse_date_any(r ->> '$.basic.enumeration_date') as enumeration_date,
    r ->> '$.basic.enumeration_date' as enumeration_date_raw,
    -- A deactivated NPI: status D and its deactivation date; a reactivated one keeps both dates.
    parse_date_any(r ->> '$.basic.deactivation_date') as deactivation_date,
    parse_date_any(r ->> '$.basic.reactivation_date') as reactivation_date,
    epoch_to_timestamp(r ->> '$.created_epoch') as created_at,
    epoch_to_timestamp(r ->> '$.last_updated_epoch') as last_updated_at,
    case when json_type(r -> '$.number') in ('UBIGINT', 'BIGINT') then 'older' else 'newer' end as response_shape,
    fetched_at
from staging.stg_npi_latest_responses
where r is not null
