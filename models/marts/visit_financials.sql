-- Each visit's delivered balance against the sum of its transactions at the
-- same hospital (visit ids repeat across hospitals); a visit whose balance
-- disagrees is flagged. Only the visits that stand: one whose latest delivery
-- was rejected (int_visitpay_visits__rejected) has no balance to reconcile,
-- and an older delivery's balance does not stand in for it.
with paid as (
    select
        hospital,
        visit_id,
        count(*) as transactions,
        sum(amount_cents)::bigint as transactions_cents
    from intermediate.int_visitpay_transactions
    group by hospital, visit_id
)

select
    v.hospital,
    v.visit_id,
    v.guarantor_id,
    v.admit_date,
    v.discharge_date,
    v.balance_cents,
    coalesce(p.transactions, 0) as transactions,
    coalesce(p.transactions_cents, 0) as transactions_cents,
    v.balance_cents - coalesce(p.transactions_cents, 0) as difference_cents,
    v.balance_cents <> coalesce(p.transactions_cents, 0) as balance_mismatch,
    v.delivered_at
from intermediate.int_visitpay_visits as v
left join paid as p using (hospital, visit_id)
