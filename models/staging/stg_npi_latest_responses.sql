-- The latest registry response per NPI, with its result for that NPI as `r`
-- (NULL when the answer holds none: not found, or an Errors answer).
-- The result is picked by its number, not its position, so an answer that
-- lists several providers never lends another provider's data to the NPI.
-- Ephemeral: inlined into the NPI staging models.
select
    npi,
    fetched_at,
    body,
    list_filter(
        coalesce(json_extract(body, '$.results[*]'), []),
        lambda x: x ->> '$.number' = npi
    )[1] as r
from raw.npi_responses
qualify row_number() over (partition by npi order by fetched_at desc) = 1
