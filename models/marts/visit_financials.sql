-- Each visit's delivered balance against the sum of its transactions at the
-- same hospital (visit ids repeat across hospitals); a visit whose balance
-- disagrees is flagged. Only the visits that stand: one whose latest delivery
-- was rejected (int_visitpay_visits__rejected) has no balance to reconcile,
-- and an older delivery's balance does not stand in for it.
--
-- A transaction of the visit whose latest delivery was quarantined
-- (int_visitpay_transactions__rejected: an unknown procedure, an amount with
-- fractions of a cent …) is not in the sum: it is counted apart, and the
-- visit is not reconciled, whatever the sum says (the hospital's delivered
-- transactions cannot be checked against its balance until it is fixed).
with paid as (
    select
        hospital,
        visit_id,
        count(*) as transactions,
        sum(amount_cents)::bigint as transactions_cents
    from intermediate.int_visitpay_transactions
    group by hospital, visit_id
),

quarantined as (
    select
        hospital,
        visit_id,
        count(*) as transactions,
        sum(amount_cents)::bigint as cents
    from intermediate.int_visitpay_transactions__rejected
    where visit_id is not null
    group by hospital, visit_id
),

reconciled as (
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
        coalesce(q.transactions, 0) as quarantined_transactions,
        q.cents as quarantined_cents,
        v.delivered_at
    from intermediate.int_visitpay_visits as v
    left join paid as p using (hospital, visit_id)
    left join quarantined as q using (hospital, visit_id)
)

select
    hospital,
    visit_id,
    guarantor_id,
    admit_date,
    discharge_date,
    balance_cents,
    transactions,
    transactions_cents,
    difference_cents,
    balance_mismatch,
    quarantined_transactions,
    quarantined_cents,
    case
        when quarantined_transactions > 0 then 'quarantined_transactions'
        when balance_mismatch then 'balance_mismatch'
        else 'reconciled'
    end as reconciliation,
    quarantined_transactions = 0 and not balance_mismatch as reconciled,
    delivered_at
from reconciled
