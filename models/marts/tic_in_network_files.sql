-- One row per in-network file of a complete TiC index, with the states and
-- network types it serves, read from what the data offers:
--   1. the file name, when it starts with a state and a network
--      (NY_PPO_..., CA_HMO_...): the most reliable;
--   2. the names of the plans that link to it (a state code and PPO/HMO/EPO/POS
--      as words: "PATHWAY CT PPO - EMPLOYER");
--   3. the file's description ("NY PPO network").
-- Blind spots: files named without a state or network, plans named without
-- them, descriptions that name a payer network ("BCBS Minnesota : Aware")
-- rather than a state. Such files get empty lists; `basis` says which rule
-- decided.
with named as (
    select
        *,
        regexp_extract(file_name, '^([A-Z]{2})_(PPO|HMO|EPO|POS)_', 1) as name_state,
        regexp_extract(file_name, '^([A-Z]{2})_(PPO|HMO|EPO|POS)_', 2) as name_network,
        regexp_extract_all(upper(coalesce(plan_name, '')), '\b([A-Z]{2})\b', 1) as plan_words,
        regexp_extract_all(upper(coalesce(plan_name, '')), '\b(PPO|HMO|EPO|POS)\b', 1) as plan_networks,
        regexp_extract_all(upper(coalesce(description, '')), '\b([A-Z]{2})\b', 1) as description_words,
        regexp_extract_all(upper(coalesce(description, '')), '\b(PPO|HMO|EPO|POS)\b', 1) as description_networks
    from intermediate.int_tic_file_plans
),

per_file as (
    select
        index_id,
        file_id,
        any_value(url_key) as url_key,
        any_value(url) as url,
        any_value(host) as host,
        any_value(file_name) as file_name,
        any_value(description) as description,
        count(distinct plan_id) as plans,
        nullif(any_value(name_state), '') as name_state,
        nullif(any_value(name_network), '') as name_network,
        list_distinct(flatten(list(plan_words))) as plan_words,
        list_distinct(flatten(list(plan_networks))) as plan_networks,
        list_distinct(flatten(list(description_words))) as description_words,
        list_distinct(flatten(list(description_networks))) as description_networks
    from named
    group by index_id, file_id
)

select
    index_id,
    file_id,
    url_key,
    url,
    host,
    file_name,
    description,
    plans,
    case
        when name_state is not null then [name_state]
        else list_sort(list_intersect(
            list_distinct(plan_words || description_words),
            (select list(code) from seeds.us_states)
        ))
    end as states,
    case
        when name_network is not null then [name_network]
        else list_sort(list_distinct(plan_networks || description_networks))
    end as network_types,
    case
        when name_state is not null then 'file_name'
        when len(plan_words) > 0 or len(plan_networks) > 0 then 'plan_names'
        else 'description'
    end as basis
from per_file
