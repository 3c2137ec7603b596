-- All in-network file URLs for New York PPO plans, one row per distinct
-- file (path without its signed query). Paste into `duckdb warehouse.duckdb`.
select distinct url_key, url, basis
from marts.tic_in_network_files
where list_contains(states, 'NY')
  and list_contains(network_types, 'PPO')
order by url_key;
