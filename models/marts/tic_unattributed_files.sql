-- The blind spots of marts.tic_in_network_files: distinct in-network files
-- whose state or network type nothing named (no lookup, file name, plan name
-- or description, in any index), so no state-and-network question can find
-- them. A lookup for their plans' EINs (`wharf tic lookup --ein N`) is the
-- usual cure.
select
    url_key,
    index_ids,
    url,
    file_name,
    description,
    plans,
    eins,
    states,
    network_types,
    case
        when len(states) = 0 and len(network_types) = 0 then 'state and network'
        when len(states) = 0 then 'state'
        else 'network'
    end as missing
from marts.tic_in_network_files
where len(states) = 0 or len(network_types) = 0
order by url_key
