-- Client A claims in the shared vocabulary, typed.
select
    -- The source's client, however the file name writes it (CLIENTA, clienta: the
    -- pattern matches any case); _client keeps the name's text.
    'clientA' as client,
    _period as period,
    clean_text(claim_number) as claim_number,
    clean_text(member_id) as member_id,
    parse_date_any(date_received) as received_date,
    upper(clean_text(claim_category)) as claim_category,
    clean_text(hospital_service) as hospital_service,
    clean_text(vendor) as vendor,
    upper(clean_text(code)) as diagnosis_code,
    clean_text(primary_diagnosis) as diagnosis,
    to_cents(total_billed) as billed_cents,
    clean_text(processing_status) as status,
    utc_instant(_delivered_at) as delivered_at,
    _batch_id,
    _file,
    _row_number,
    date_received as received_date_raw,
    total_billed as billed_raw
from raw.claims_client_a
