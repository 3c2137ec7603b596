-- Claims of every client in one vocabulary, each with its diagnosis category
-- (the longest matching ICD-10 prefix in seeds.diagnosis_categories, else
-- "other"), the latest delivered version per (client, claim number): the
-- latest delivery, then batch, then line. The checks (intermediate.yml) judge
-- this latest version only: an unreadable received date on it rejects the
-- claim into int_claims__rejected, never replaced by an older version.
with claims as (
    select * from staging.stg_claims_client_a
    union all by name
    select * from staging.stg_claims_client_b
),

categorized as (
    select
        c.*,
        coalesce(
            (
                select d.category
                from seeds.diagnosis_categories as d
                where starts_with(c.diagnosis_code, d.code_prefix)
                order by length(d.code_prefix) desc
                limit 1
            ),
            'other'
        ) as diagnosis_category
    from claims as c
)

select
    client,
    claim_number,
    member_id,
    received_date,
    claim_category,
    hospital_service,
    vendor,
    diagnosis_code,
    diagnosis,
    diagnosis_category,
    billed_cents,
    status,
    period,
    delivered_at,
    _batch_id,
    _file,
    _row_number,
    received_date_raw,
    billed_raw
from categorized
qualify row_number() over (
    partition by client, claim_number
    order by delivered_at desc, _batch_id desc, _row_number desc
) = 1
