-- The latest registry response per NPI, with its first result as `r`
-- (ephemeral: inlined into the NPI staging models).
select
    npi,
    fetched_at,
    body,
    body -> '$.results[0]' as r
from raw.npi_responses
qualify row_number() over (partition by npi order by fetched_at desc) = 1
