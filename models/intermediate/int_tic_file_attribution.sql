-- The states and network types each distinct in-network file serves, over
-- every complete TiC index that lists it: a file is its path (`url_key`, the
-- URL without host and signed query), so the same file listed by two indexes
-- (another layout of the same index, an excerpt of it, another month's) is
-- one row, attributed by everything any of them says about it. Two scopes:
-- all the plans that link to it (`scope` ''; what marts.tic_in_network_files
-- holds), and the plans of each EIN that links to it (`scope` = the EIN; what
-- `wharf tic files --ein` asks), since a file shared by one employer's PPO
-- plan and another's plan without a network is a PPO file of the first, not
-- of the second. `index_ids` lists the indexes that list the file; its url,
-- host and description are those of the newest of them. A view: one row per
-- file and EIN is large for real indexes, and a query for one EIN reads only
-- its own.
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

-- Patterns are constants (DuckDB compiles a pattern from a column once per
-- row): they find candidates, and seeds.us_states decides which are states.
state_codes as (
    select list(code) as codes from seeds.us_states
),

state_names as (
    select lower(name) as name, code from seeds.us_states
),

-- What a name (a file's, or a lookup's display name) says: the run of
-- two-letter words and `_` it starts with (after an optional date), whose
-- leading state codes are its states (NY_BCCMMEDCL00_..., 2023-04_WA_AK_...),
-- and PPO/HMO/EPO/POS right after a run of states only.
names as (
    select distinct displayname as name from raw.tic_lookup_files where displayname is not null
    union
    select distinct file_name from raw.tic_files where kind = 'in_network'
),

name_runs as (
    select
        name,
        list_filter(
            string_split(
                regexp_extract(name, '^(?:[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?_)?((?:[A-Z]{2}_)+)', 1),
                '_'
            ),
            x -> x <> ''
        ) as run,
        nullif(
            regexp_extract(
                name,
                '^(?:[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?_)?(?:[A-Z]{2}_)+(PPO|HMO|EPO|POS)(?:[_.]|$)',
                1
            ),
            ''
        ) as network
    from names
),

name_attributes as (
    select
        r.name,
        r.run[1:coalesce(
            list_position(list_transform(r.run, x -> list_contains(c.codes, x)), false) - 1,
            len(r.run)
        )] as states,
        case
            when len(r.run) > 0 and list_has_all(c.codes, r.run) then r.network
        end as network
    from name_runs as r
    cross join state_codes as c
),

-- Every distinct plan name and description of a complete index.
texts as (
    select distinct p.plan_name as text, 'plan_name' as source
    from raw.tic_plans as p
    inner join complete using (index_id)
    where p.plan_name is not null
    union
    select distinct f.description, 'description'
    from raw.tic_files as f
    inner join complete using (index_id)
    where f.description is not null
),

-- What a text says. Two-letter words (then kept if they are state codes)
-- where a state is expected: before a network, after BCBS/BC/BS, "of" or a
-- direction, in parentheses; NE before a network is New England. Full names
-- of seeds.us_states (longest first, so West Virginia is not also
-- Virginia), with the marker or network around them when there is one.
text_matches as (
    select
        t.text,
        t.source,
        list_intersect(
            list_filter(
                regexp_extract_all(t.text, '\b([A-Z]{2})\s+(?i:ppo|hmo|epo|pos)\b', 1),
                x -> x <> 'NE'
            )
            || regexp_extract_all(
                t.text,
                '(?i:\b(?:bcbs|bc|bs|of|western|eastern|northern|southern|northeastern'
                || '|northwestern|southeastern|southwestern|central|upstate|downstate))\s+([A-Z]{2})\b',
                1
            )
            || regexp_extract_all(t.text, '\(([A-Z]{2})\)', 1),
            c.codes
        ) as codes,
        regexp_extract_all(
            t.text,
            '(?i)(?:\b(?:bcbs|bc|bs|of|blue cross|blue shield|western|eastern|northern|southern'
            || '|northeastern|northwestern|southeastern|southwestern|central|upstate|downstate)\s+'
            || '|\()?\b(?:Northern Mariana Islands|District of Columbia'
            || '|U[.]S[.] Virgin Islands|American Samoa|North Carolina|South Carolina'
            || '|Massachusetts|New Hampshire|West Virginia|North Dakota|Pennsylvania'
            || '|Rhode Island|South Dakota|Connecticut|Mississippi|Puerto Rico|California'
            || '|New Jersey|New Mexico|Washington|Louisiana|Minnesota|Tennessee|Wisconsin'
            || '|Arkansas|Colorado|Delaware|Illinois|Kentucky|Maryland|Michigan|Missouri'
            || '|Nebraska|New York|Oklahoma|Virginia|Alabama|Arizona|Florida|Georgia|Indiana'
            || '|Montana|Vermont|Wyoming|Alaska|Hawaii|Kansas|Nevada|Oregon|Idaho|Maine|Texas'
            || '|Guam|Iowa|Ohio|Utah)\b(?:\s+(?:ppo|hmo|epo|pos)\b|\))?',
            0
        ) as name_matches,
        list_distinct(
            list_transform(
                regexp_extract_all(t.text, '(?i)\b(ppo|hmo|epo|pos)\b', 1)
                || regexp_extract_all(t.text, '[a-z](PPO|HMO|EPO|POS)\b', 1),
                x -> upper(x)
            )
        ) as networks
    from texts as t
    cross join state_codes as c
),

-- Full names: anywhere in a description; in a plan name (which holds an
-- employer's name too) only with a marker or network around them.
named_codes as (
    select
        n.text,
        n.source,
        list(distinct s.code) as codes
    from (
        select
            text,
            source,
            m,
            regexp_replace(
                regexp_replace(
                    m,
                    '(?i)^(?:(?:bcbs|bc|bs|of|blue cross|blue shield|western|eastern|northern'
                    || '|southern|northeastern|northwestern|southeastern|southwestern|central'
                    || '|upstate|downstate)\s+|\()',
                    ''
                ),
                '(?i)(?:\s+(?:ppo|hmo|epo|pos)|\))$',
                ''
            ) as name
        from (select text, source, unnest(name_matches) as m from text_matches)
    ) as n
    inner join state_names as s on s.name = lower(n.name)
    where n.source = 'description' or n.name <> n.m
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
        coalesce(a.states, []) as states,
        a.network,
        nullif(regexp_extract(l.file_name, '^[0-9]{4}-[0-9]{2}_([0-9]{3})_', 1), '') as plan_code
    from raw.tic_lookup_files as l
    inner join name_attributes as a on a.name = l.displayname
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

-- The in-network files of each complete index, then each distinct file
-- (by its path) over them all.
index_files as (
    select
        f.index_id,
        f.file_id,
        f.url_key,
        f.url,
        f.host,
        f.file_name,
        f.description
    from raw.tic_files as f
    inner join complete using (index_id)
    where f.kind = 'in_network'
),

files as (
    select
        f.url_key,
        list_sort(list(distinct f.index_id)) as index_ids,
        arg_max(f.url, f.index_id) as url,
        arg_max(f.host, f.index_id) as host,
        any_value(f.file_name) as file_name,
        arg_max(f.description, f.index_id) as description,
        list_distinct(flatten(list(coalesce(d.states, [])))) as description_states,
        list_distinct(flatten(list(coalesce(d.networks, [])))) as description_networks
    from index_files as f
    left join text_attributes as d on d.source = 'description' and d.text = f.description
    group by f.url_key
),

named_files as (
    select
        f.*,
        coalesce(a.states, []) as name_states,
        a.network as name_network,
        nullif(regexp_extract(f.file_name, '^[0-9]{4}-[0-9]{2}_([0-9]{3})_', 1), '') as plan_code
    from files as f
    left join name_attributes as a on a.name = f.file_name
),

-- Per reporting structure and scope ('' = all its plans, or one EIN's
-- plans): plan ids, EINs, and what the plan names say. Structures are few
-- beside links, so this is where plans are summed up.
plans as (
    select
        p.index_id,
        p.structure_id,
        -- An EIN as written may carry spaces ('911950223 ' in LifeWise's index)
        -- or a dash (12-3456789): compared as its nine digits.
        case
            when p.plan_id_type = 'ein'
                then regexp_replace(
                    trim(p.plan_id, ' ' || chr(9) || chr(10) || chr(13) || chr(160)),
                    '^([0-9]{2})-([0-9]{7})$',
                    '\1\2'
                )
            else p.plan_id
        end as plan_id,
        p.plan_id_type,
        t.states,
        t.networks
    from raw.tic_plans as p
    inner join complete using (index_id)
    left join text_attributes as t on t.source = 'plan_name' and t.text = p.plan_name
),

structure_scopes as (
    select
        index_id,
        structure_id,
        '' as scope,
        list(distinct plan_id) as plan_ids,
        list(distinct plan_id) filter (where plan_id_type = 'ein') as eins,
        list_distinct(flatten(list(states))) as plan_states,
        list_distinct(flatten(list(networks))) as plan_networks
    from plans
    group by index_id, structure_id
    union all
    select
        index_id,
        structure_id,
        plan_id,
        [plan_id],
        [plan_id],
        list_distinct(flatten(list(states))),
        list_distinct(flatten(list(networks)))
    from plans
    where plan_id_type = 'ein' and plan_id is not null
    group by index_id, structure_id, plan_id
),

-- Per file of an index and scope: the union over the structures that link
-- to it; then per distinct file and scope, over the indexes. A file linked
-- only from structures without plans still has its '' row.
index_scoped_plans as (
    select
        l.index_id,
        l.file_id,
        coalesce(s.scope, '') as scope,
        list_distinct(flatten(list(s.plan_ids))) as plan_ids,
        list_distinct(flatten(list(s.eins))) as eins,
        list_distinct(flatten(list(s.plan_states))) as plan_states,
        list_distinct(flatten(list(s.plan_networks))) as plan_networks
    from raw.tic_plan_files as l
    inner join complete using (index_id)
    left join structure_scopes as s using (index_id, structure_id)
    group by l.index_id, l.file_id, coalesce(s.scope, '')
),

scoped_plans as (
    select
        f.url_key,
        p.scope,
        len(list_distinct(flatten(list(p.plan_ids)))) as plans,
        list_sort(list_distinct(flatten(list(p.eins)))) as eins,
        list_distinct(flatten(list(p.plan_states))) as plan_states,
        list_distinct(flatten(list(p.plan_networks))) as plan_networks
    from index_scoped_plans as p
    inner join index_files as f using (index_id, file_id)
    group by f.url_key, p.scope
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
        coalesce(p.plan_networks, []) as plan_networks
    from named_files as f
    inner join scoped_plans as p using (url_key)
    left join lookup_urls as u using (url_key)
    left join lookup_codes as c using (plan_code)
)

select
    url_key,
    scope,
    index_ids,
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
