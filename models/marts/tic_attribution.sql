-- How marts.tic_in_network_files attributed its files: for the state and for
-- the network type, how many files each basis decided, in the order the rule
-- tries them ('none': no basis named one; those files are listed in
-- marts.tic_unattributed_files). Blind spots show here first.
with per_basis as (
    select 'state' as attribute, state_basis as basis, count(*) as files
    from marts.tic_in_network_files
    group by state_basis
    union all
    select 'network', network_basis, count(*)
    from marts.tic_in_network_files
    group by network_basis
)

select
    attribute,
    basis,
    files,
    round(100.0 * files / sum(files) over (partition by attribute), 1) as percent
from per_basis
order by
    attribute desc,
    list_position(['lookup', 'lookup_code', 'file_name', 'plan_names', 'description', 'none'], basis)
