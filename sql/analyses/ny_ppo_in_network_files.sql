-- All in-network file URLs for New York PPO plans, one row per distinct
-- file (path without its signed query). Run it with
-- `deno task wharf sql -f sql/analyses/ny_ppo_in_network_files.sql` (or in the DuckDB CLI).
select distinct url_key, url, basis
from marts.tic_in_network_files
where list_contains(states, 'NY')
  and list_contains(network_types, 'PPO')
order by url_key;
