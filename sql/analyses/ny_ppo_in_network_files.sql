-- All in-network file URLs for New York PPO plans, one row per distinct
-- file (path without its signed query), with what decided its state and
-- network. Run it with `deno task wharf sql -f sql/analyses/ny_ppo_in_network_files.sql`
-- (or in the DuckDB CLI); `wharf tic files --state NY --network PPO` prints the same URLs.
select
    url_key,
    url,
    state_basis,
    network_basis
from marts.tic_in_network_files
where list_contains(states, 'NY')
  and list_contains(network_types, 'PPO')
order by url_key;
