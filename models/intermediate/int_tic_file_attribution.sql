-- The states and network types each in-network file of a complete TiC index
-- serves, in two scopes: all the plans that link to it (`scope` ''; what
-- marts.tic_in_network_files holds), and the plans of each EIN that links to
-- it (`scope` = the EIN; what `wharf tic files --ein` asks), since a file
-- shared by one employer's PPO plan and another's plan without a network is
-- a PPO file of the first, not of the second. A view: one row per file and
-- EIN is large for real indexes, and a query for one EIN reads only its own.
-- State and network are read separately, each from the first of these that
-- names one (`state_basis`, `network_basis`):
--   1. lookup:      the payer's per-EIN lookup (raw.tic_lookup_files) lists
--                   this URL with a display name that starts with states
--                   (NY_PPO_BCCMMEDCL00_01_11.json.gz, 2023-04_WA_AK_65E0_...);
--      lookup_code: (state only) a BCBS file 2023-04_302_42B0_... whose plan
--                   code 302 some lookup shows with a state
--                   (2023-04_302_... displayed as 2023-04_NY_...);
--   2. file_name:   the file name starts with states and `_`
--                   (NY_BCCMMEDCL00_01_11.json.gz: NY, whatever follows);
--   3. plan_names:  the names of the plans (of the scope) that link to it;
--   4. description: the file's description.
-- In names and descriptions a two-letter word is a state only where a state
-- is expected: before a network (CT PPO), after BCBS/BC/BS, "of" or a
-- direction (Highmark BCBS WV, Plan of WA, Western NY), or in parentheses
-- ((PR)); so "In-Network" is never Indiana. NE before a network is New
-- England in Anthem's plan names (ACCESS BLUE NE HMO), not Nebraska. Full
-- state names count in descriptions anywhere (BCBS Minnesota), in plan names
-- (which hold employers' names) only where a state is expected. Networks are
-- PPO, HMO, EPO and POS as words, or ending a word (BluePPO).
-- A file none of them attributes has an empty list and basis 'none': see
-- marts.tic_attribution and marts.tic_unattributed_files.
with complete as (
    select index_id from raw.tic_indexes where status = 'complete'
),

-- Regular expressions over the states of seeds.us_states: codes, and full
-- names longest first (West Virginia before Virginia).
patterns as (
    select
        string_agg(code, '|' order by code) as codes,
        string_agg(replace(name, '.', '[.]'), '|' order by length(name) desc, name) as names
    from seeds.us_states
),

-- What a name (of a file, or a lookup's display name) says: the states it
-- starts with (after an optional date) and the network that follows them.
name_rule as (
    select
        '^(?:[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?_)?((?:(?:' || codes || ')_)+)' as leading_states,
        '^(?:[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?_)?(?:(?:' || codes || ')_)+(PPO|HMO|EPO|POS)(?:[_.]|$)'
            as leading_network
    from patterns
),

-- Free-text rules: a state where one is expected, full names anywhere.
text_rule as (
    select
        '\b(' || codes || ')\s+(?i:ppo|hmo|epo|pos)\b' as code_before_network,
        '(?i:\b(?:bcbs|bc|bs|of|western|eastern|northern|southern|northeastern|northwestern'
            || '|southeastern|southwestern|central|upstate|downstate))\s+(' || codes || ')\b'
            as code_after_marker,
        '\((' || codes || ')\)' as code_in_parentheses,
        '(?i)\b(' || names || ')\s+(?:ppo|hmo|epo|pos)\b' as name_before_network,
        '(?i)\b(?:bcbs|bc|bs|of|blue cross|blue shield|western|eastern|northern|southern'
            || '|northeastern|northwestern|southeastern|southwestern|central|upstate|downstate)\s+('
            || names || ')\b' as name_after_marker,
        '(?i)\((' || names || ')\)' as name_in_parentheses,
        '(?i)\b(' || names || ')\b' as name_anywhere
    from patterns
),

state_names as (
    select lower(name) as name, code from seeds.us_states
),

-- Every distinct plan name and description, with the states and networks it names.
texts as (
    select distinct plan_name as text, 'plan_name' as source
    from raw.tic_plans
    where plan_name is not null
    union
    select distinct description, 'description'
    from raw.tic_files
    where description is not null
),

text_matches as (
    select
        t.text,
        t.source,
        list_filter(
            regexp_extract_all(t.text, r.code_before_network, 1),
            x -> x <> 'NE'
        )
        || regexp_extract_all(t.text, r.code_after_marker, 1)
        || regexp_extract_all(t.text, r.code_in_parentheses, 1) as codes,
        regexp_extract_all(t.text, r.name_before_network, 1)
        || regexp_extract_all(t.text, r.name_after_marker, 1)
        || regexp_extract_all(t.text, r.name_in_parentheses, 1)
        || case
            when t.source = 'description' then regexp_extract_all(t.text, r.name_anywhere, 1)
            else []
        end as names,
        list_distinct(
            list_transform(
                regexp_extract_all(t.text, '(?i)\b(ppo|hmo|epo|pos)\b', 1)
                || regexp_extract_all(t.text, '[a-z](PPO|HMO|EPO|POS)\b', 1),
                x -> upper(x)
            )
        ) as networks
    from texts as t
    cross join text_rule as r
),

named_codes as (
    select
        n.text,
        n.source,
        list(distinct s.code) as codes
    from (select text, source, unnest(names) as name from text_matches) as n
    inner join state_names as s on s.name = lower(n.name)
    group by n.text, n.source
),

text_attributes as (
    select
        m.text,
        m.source,
        list_distinct(m.codes || coalesce(n.codes, [])) as states,
        m.networks
    from text_matches as m
    left join named_codes as n using (text, source)
),

-- Lookup display names, by the URL key raw.tic_files uses.
lookup_names as (
    select
        l.url_key,
        l.file_name,
        list_filter(
            string_split(regexp_extract(l.displayname, n.leading_states, 1), '_'), x -> x <> ''
        ) as states,
        nullif(regexp_extract(l.displayname, n.leading_network, 1), '') as network,
        nullif(regexp_extract(l.file_name, '^[0-9]{4}-[0-9]{2}_([0-9]{3})_', 1), '') as plan_code
    from raw.tic_lookup_files as l
    cross join name_rule as n
    where l.displayname is not null
),

lookup_urls as (
    select
        url_key,
        list_distinct(flatten(list(states))) as states,
        list_distinct(list(network) filter (where network is not null)) as networks
    from lookup_names
    group by url_key
),

-- BCBS plan codes a lookup shows with states.
lookup_codes as (
    select
        plan_code,
        list_distinct(flatten(list(states))) as states
    from lookup_names
    where plan_code is not null and len(states) > 0
    group by plan_code
),

files as (
    select
        f.index_id,
        f.file_id,
        f.url_key,
        f.url,
        f.host,
        f.file_name,
        f.description,
        list_filter(
            string_split(regexp_extract(f.file_name, n.leading_states, 1), '_'), x -> x <> ''
        ) as name_states,
        nullif(regexp_extract(f.file_name, n.leading_network, 1), '') as name_network,
        nullif(regexp_extract(f.file_name, '^[0-9]{4}-[0-9]{2}_([0-9]{3})_', 1), '') as plan_code
    from raw.tic_files as f
    inner join complete using (index_id)
    cross join name_rule as n
    where f.kind = 'in_network'
),

-- Per file: its plans, their EINs, and what their names say.
linked_plans as (
    select
        l.index_id,
        l.file_id,
        p.plan_id,
        p.plan_id_type,
        t.states,
        t.networks
    from raw.tic_plan_files as l
    inner join complete using (index_id)
    left join raw.tic_plans as p using (index_id, structure_id)
    left join text_attributes as t on t.source = 'plan_name' and t.text = p.plan_name
),

-- Per file and scope: its plans, their EINs, and what their names say.
scoped_plans as (
    select
        index_id,
        file_id,
        '' as scope,
        count(distinct plan_id) as plans,
        list_sort(list(distinct plan_id) filter (where plan_id_type = 'ein')) as eins,
        list_distinct(flatten(list(states))) as plan_states,
        list_distinct(flatten(list(networks))) as plan_networks
    from linked_plans
    group by index_id, file_id
    union all
    select
        index_id,
        file_id,
        plan_id,
        count(distinct plan_id),
        [plan_id],
        list_distinct(flatten(list(states))),
        list_distinct(flatten(list(networks)))
    from linked_plans
    where plan_id_type = 'ein' and plan_id is not null
    group by index_id, file_id, plan_id
),

candidates as (
    select
        f.*,
        p.scope,
        p.plans,
        coalesce(p.eins, []) as eins,
        coalesce(u.states, []) as lookup_states,
        coalesce(u.networks, []) as lookup_networks,
        coalesce(c.states, []) as code_states,
        coalesce(p.plan_states, []) as plan_states,
        coalesce(p.plan_networks, []) as plan_networks,
        coalesce(d.states, []) as description_states,
        coalesce(d.networks, []) as description_networks
    from files as f
    inner join scoped_plans as p using (index_id, file_id)
    left join lookup_urls as u using (url_key)
    left join lookup_codes as c using (plan_code)
    left join text_attributes as d on d.source = 'description' and d.text = f.description
)

select
    index_id,
    file_id,
    scope,
    url_key,
    url,
    host,
    file_name,
    description,
    plans,
    eins,
    list_sort(case
        when len(lookup_states) > 0 then lookup_states
        when len(code_states) > 0 then code_states
        when len(name_states) > 0 then name_states
        when len(plan_states) > 0 then plan_states
        else description_states
    end) as states,
    case
        when len(lookup_states) > 0 then 'lookup'
        when len(code_states) > 0 then 'lookup_code'
        when len(name_states) > 0 then 'file_name'
        when len(plan_states) > 0 then 'plan_names'
        when len(description_states) > 0 then 'description'
        else 'none'
    end as state_basis,
    list_sort(case
        when len(lookup_networks) > 0 then lookup_networks
        when name_network is not null then [name_network]
        when len(plan_networks) > 0 then plan_networks
        else description_networks
    end) as network_types,
    case
        when len(lookup_networks) > 0 then 'lookup'
        when name_network is not null then 'file_name'
        when len(plan_networks) > 0 then 'plan_names'
        when len(description_networks) > 0 then 'description'
        else 'none'
    end as network_basis
from candidates
