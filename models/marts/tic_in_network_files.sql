-- One row per distinct in-network file (by its path, `url_key`) over every
-- complete TiC index, with the states and network types it serves and what
-- decided each (`state_basis`, `network_basis`: lookup, lookup_code,
-- file_name, plan_names, description, none), over all the plans of any index
-- that link to it; `index_ids` lists the indexes that list it. The rule is
-- written out in intermediate.int_tic_file_attribution; its blind spots are
-- counted in marts.tic_attribution and listed in marts.tic_unattributed_files.
select * exclude (scope)
from intermediate.int_tic_file_attribution
where scope = ''
