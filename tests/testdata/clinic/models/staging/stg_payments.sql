select
    payment_id::integer as payment_id,
    appointment_id::integer as appointment_id,
    method,
    to_cents(amount) as amount_cents
from seeds.payments
