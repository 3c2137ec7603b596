/**
 * dbt's own macros as wharf provides them, written for DuckDB: the
 * cross-database macros (`dbt.dateadd`, `dbt.type_string()`, …, reached
 * through `adapter.dispatch`, so a project's `duckdb__x` or `default__x`
 * overrides them) and the naming macros (`generate_schema_name`,
 * `generate_alias_name` and their defaults). Each is named `__dbt__<name>`
 * in the macro module; `rewrite_jinja.ts` turns calls by dbt's names into
 * these.
 *
 * @module
 */

/** Jinja source of dbt's macros for DuckDB. */
export const DBT_MACROS = String.raw`
{%- macro __dbt__statement(name=none, fetch_result=false, auto_begin=true, language='sql') -%}
{%- if execute -%}{{ __wharf_statement(name, caller(), fetch_result) }}{%- endif -%}
{%- endmacro -%}
{%- macro __dbt__default__generate_schema_name(custom_schema_name=none, node=none) -%}
{%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro -%}
{%- macro __dbt__generate_schema_name_for_env(custom_schema_name=none, node=none) -%}
{%- if target.name == 'prod' and custom_schema_name is not none -%}{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}
{%- endmacro -%}
{%- macro __dbt__generate_schema_name(custom_schema_name=none, node=none) -%}
{{ __dbt__default__generate_schema_name(custom_schema_name, node) }}
{%- endmacro -%}
{%- macro __dbt__default__generate_alias_name(custom_alias_name=none, node=none) -%}
{%- if custom_alias_name -%}{{ custom_alias_name | trim }}{%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro -%}
{%- macro __dbt__generate_alias_name(custom_alias_name=none, node=none) -%}
{{ __dbt__default__generate_alias_name(custom_alias_name, node) }}
{%- endmacro -%}
{%- macro __dbt__duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
({{ from_date_or_timestamp }} + (({{ interval }}) * interval 1 {{ datepart }}))
{%- endmacro -%}
{%- macro __dbt__duckdb__datediff(first_date, second_date, datepart) -%}
date_diff('{{ datepart }}', ({{ first_date }})::timestamp, ({{ second_date }})::timestamp)
{%- endmacro -%}
{%- macro __dbt__duckdb__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro -%}
{%- macro __dbt__duckdb__last_day(date, datepart) -%}
cast(date_trunc('{{ datepart }}', {{ date }}) + interval 1 {{ datepart }} - interval 1 day as date)
{%- endmacro -%}
{%- macro __dbt__duckdb__type_string() -%}varchar{%- endmacro -%}
{%- macro __dbt__duckdb__type_timestamp() -%}timestamp{%- endmacro -%}
{%- macro __dbt__duckdb__type_float() -%}double{%- endmacro -%}
{%- macro __dbt__duckdb__type_numeric() -%}decimal(28, 6){%- endmacro -%}
{%- macro __dbt__duckdb__type_bigint() -%}bigint{%- endmacro -%}
{%- macro __dbt__duckdb__type_int() -%}integer{%- endmacro -%}
{%- macro __dbt__duckdb__type_boolean() -%}boolean{%- endmacro -%}
{%- macro __dbt__duckdb__safe_cast(field, type) -%}
try_cast({{ field }} as {{ type }})
{%- endmacro -%}
{%- macro __dbt__duckdb__cast(field, type) -%}
cast({{ field }} as {{ type }})
{%- endmacro -%}
{%- macro __dbt__duckdb__concat(fields) -%}
concat({{ fields | join(', ') }})
{%- endmacro -%}
{%- macro __dbt__duckdb__hash(field) -%}
md5(cast({{ field }} as varchar))
{%- endmacro -%}
{%- macro __dbt__duckdb__current_timestamp() -%}now(){%- endmacro -%}
{%- macro __dbt__duckdb__split_part(string_text, delimiter_text, part_number) -%}
split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro -%}
{%- macro __dbt__duckdb__listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{%- if limit_num -%}
array_to_string(list_slice(list({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}), 1, {{ limit_num }}), {{ delimiter_text }})
{%- else -%}
string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %})
{%- endif -%}
{%- endmacro -%}
{%- macro __dbt__duckdb__position(substring_text, string_text) -%}
position({{ substring_text }} in {{ string_text }})
{%- endmacro -%}
{%- macro __dbt__duckdb__replace(field, old_chars, new_chars) -%}
replace({{ field }}, {{ old_chars }}, {{ new_chars }})
{%- endmacro -%}
{%- macro __dbt__duckdb__right(string_text, length_expression) -%}
right({{ string_text }}, {{ length_expression }})
{%- endmacro -%}
{%- macro __dbt__duckdb__length(expression) -%}
length({{ expression }})
{%- endmacro -%}
{%- macro __dbt__duckdb__escape_single_quotes(expression) -%}
{{ expression | replace("'", "''") }}
{%- endmacro -%}
{%- macro __dbt__duckdb__string_literal(value) -%}
'{{ value | replace("'", "''") }}'
{%- endmacro -%}
{%- macro __dbt__duckdb__any_value(expression) -%}
any_value({{ expression }})
{%- endmacro -%}
{%- macro __dbt__duckdb__bool_or(expression) -%}
bool_or({{ expression }})
{%- endmacro -%}
{%- macro __dbt__duckdb__cast_bool_to_text(field) -%}
cast({{ field }} as varchar)
{%- endmacro -%}
{%- macro __dbt__set_sql_header(config) -%}{{ config(sql_header=caller()) }}{%- endmacro -%}
{%- macro __dbt__duckdb__except() -%}except{%- endmacro -%}
{%- macro __dbt__duckdb__intersect() -%}intersect{%- endmacro -%}
{%- macro __dbt__duckdb__array_construct(inputs=[], data_type=none) -%}
[{{ inputs | join(', ') }}]{% if data_type %}::{{ data_type }}[]{% endif %}
{%- endmacro -%}
{%- macro __dbt__duckdb__array_append(array, new_element) -%}
list_append({{ array }}, {{ new_element }})
{%- endmacro -%}
{%- macro __dbt__duckdb__array_concat(array_1, array_2) -%}
list_concat({{ array_1 }}, {{ array_2 }})
{%- endmacro -%}
`;
