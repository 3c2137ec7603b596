-- Claims per member across clients: counts per diagnosis category, totals,
-- and the member's category (chronic if any claim is, else behavioral if any
-- claim is, else other). Members without claims are not listed.
select
    c.client,
    c.member_id,
    count(*) as claims,
    sum(c.billed_cents)::bigint as billed_cents,
    count(*) filter (where c.diagnosis_category = 'chronic') as chronic_claims,
    count(*) filter (where c.diagnosis_category = 'behavioral') as behavioral_claims,
    count(*) filter (where c.diagnosis_category = 'other') as other_claims,
    case
        when count(*) filter (where c.diagnosis_category = 'chronic') > 0 then 'chronic'
        when count(*) filter (where c.diagnosis_category = 'behavioral') > 0 then 'behavioral'
        else 'other'
    end as diagnosis_category,
    min(c.received_date) as first_claim_received,
    max(c.received_date) as last_claim_received,
    m.member_id is not null as member_valid
from intermediate.int_claims as c
left join marts.members as m using (client, member_id)
group by c.client, c.member_id, m.member_id
