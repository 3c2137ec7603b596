import { defineConfig } from "./mod.ts";

// The healthcare project: deliveries land in raw.* (sources below), models
// in models/ validate, normalize and aggregate them.
export default defineConfig({
  name: "wharf_healthcare",
  warehouse: "warehouse.duckdb",
  threads: 4,
  vars: {
    // Member status (marts.members) is computed as of this date.
    as_of_date: "2023-09-01",
    // The state and network type marts.tic_files_for_state_network answers for.
    tic_state: "NY",
    tic_network: "PPO",
  },
  // Landing order: procedures before visits before transactions (transactions
  // reference both), then members before claims.
  sources: [
    {
      name: "visitpay_procedure",
      pattern:
        /^(?<hospital>[A-Za-z0-9]+)_VisitPay_Procedure_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/,
      delimiter: "\t",
    },
    {
      name: "visitpay_visit",
      pattern:
        /^(?<hospital>[A-Za-z0-9]+)_VisitPay_Visit_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/,
      delimiter: "\t",
    },
    {
      name: "visitpay_transaction",
      pattern:
        /^(?<hospital>[A-Za-z0-9]+)_VisitPay_Transaction_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/,
      delimiter: "\t",
    },
    {
      name: "membership_client_a",
      pattern: /^Patient-membership-(?<client>clientA)-(?<period>\d{6})\.(csv|xlsx)$/i,
    },
    {
      name: "membership_client_b",
      pattern: /^Patient-membership-(?<client>clientB)-(?<period>\d{6})\.(csv|xlsx)$/i,
    },
    {
      name: "claims_client_a",
      pattern: /^Patient-claim-(?<client>clientA)-(?<period>\d{6})\.(csv|xlsx)$/i,
    },
    {
      name: "claims_client_b",
      pattern: /^Patient-claim-(?<client>clientB)-(?<period>\d{6})\.(csv|xlsx)$/i,
    },
    {
      name: "benefits",
      pattern:
        /^benefits-(?<benefit_source>[a-z0-9_]+)-(?<delivered_at>\d{8}_\d{6})\.(json|ndjson|csv)(\.gz)?$/,
    },
    {
      name: "npi_list",
      pattern: /^npi[-_].*\.(txt|csv)$/i,
      delimiter: ",",
    },
  ],
});
