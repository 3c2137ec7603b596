/**
 * A small dbt project of payments in dbt's layout, written for wharf's
 * tests: staging views of customers, orders and payments (with orphans,
 * values no test accepts and a non-positive amount), a mart calling a
 * macro, the built-in generic tests and a custom one.
 */

/** A small dbt project of payments, in dbt's layout. */
export const PAYSHOP: Record<string, string> = {
  "dbt_project.yml": `name: payshop
config-version: 2
profile: payshop
vars:
  payment_methods: [credit_card, coupon, bank_transfer, gift_card]
`,
  "profiles.yml": `payshop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: payshop.duckdb
`,
  "macros/is_positive.sql": `{% test is_positive(model, column_name) %}
select {{ column_name }} as amount from {{ model }} where {{ column_name }} <= 0
{% endtest %}`,
  "macros/cents.sql":
    `{% macro to_dollars(column) %}({{ column }} / 100)::{{ dbt.type_numeric() }}{% endmacro %}`,
  "models/staging/stg_customers.sql": "select * from (values (1), (2), (3)) t(customer_id)",
  "models/staging/stg_orders.sql":
    "select * from (values (1, 1), (2, 2), (3, 9), (4, 9), (5, 8)) t(order_id, customer_id)",
  "models/staging/stg_payments.sql": `select * from (values
  (1, 1, 'credit_card', 1000), (2, 2, 'cash', 500), (3, 3, 'cash', 700), (4, 3, 'cash', 100),
  (5, 4, 'bitcoin', 900), (6, 5, 'bitcoin', 200), (7, 5, 'coupon', 0), (8, 5, null, 300)
) t(payment_id, order_id, payment_method, amount)`,
  "models/marts/order_payments.sql": `select order_id, {{ to_dollars('sum(amount)') }} as dollars
from {{ ref('stg_payments') }} group by order_id`,
  "models/staging/staging.yml": `version: 2
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests:
          - unique
          - accepted_values:
              name: order_id_small
              values: [1, 2, 3, 4]
              config:
                severity: warn
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('stg_customers')
              field: customer_id
              config:
                severity: warn
  - name: stg_payments
    columns:
      - name: payment_method
        data_tests:
          - accepted_values:
              values: "{{ var('payment_methods') }}"
              config:
                warn_if: ">0"
                error_if: ">3"
          - accepted_values:
              name: payment_method_rows
              arguments:
                values: "{{ var('payment_methods') }}"
              config:
                severity: warn
                fail_calc: "sum(n_records)"
      - name: amount
        data_tests:
          - is_positive:
              config:
                severity: warn
`,
};
