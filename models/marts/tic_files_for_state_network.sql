-- The classic question, parameterized: every in-network file for the state
-- and network type in the project's vars (tic_state, tic_network;
-- `--vars tic_state=NY tic_network=PPO`), once per file path. See
-- marts.tic_in_network_files for the rule and marts.tic_attribution for its
-- blind spots; `wharf tic files --state NY --network PPO` asks the same.
select
    url_key,
    url,
    file_name,
    description,
    plans,
    eins,
    state_basis,
    network_basis,
    wharf_var('tic_state') as state,
    wharf_var('tic_network') as network_type
from marts.tic_in_network_files
where list_contains(states, wharf_var('tic_state'))
  and list_contains(network_types, wharf_var('tic_network'))
