-- Dollars (any numeric or text) to integer cents, rounding half away from zero.
create or replace macro to_cents(amount) as cast(round(cast(amount as decimal(18, 2)) * 100) as bigint);
