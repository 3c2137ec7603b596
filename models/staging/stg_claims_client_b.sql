-- Client B claims in the shared vocabulary, typed.
select
    -- The source's client, however the file name writes it (CLIENTA, clienta: the
    -- pattern matches any case); _client keeps the name's text.
    'clientB' as client,
    _period as period,
    clean_text(claim_number) as claim_number,
    clean_text(memb_id) as member_id,
    parse_date_any(received_date) as received_date,
    upper(clean_text(claim_category)) as claim_category,
    clean_text(hospital_service) as hospital_service,
    null::varchar as vendor,
    upper(clean_text(code)) as diagnosis_code,
    clean_text(diagnosis_type) as diagnosis,
    to_cents(cost_total) as billed_cents,
    clean_text(status) as status,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    received_date as received_date_raw,
    cost_total as billed_raw
from raw.claims_client_b
