import { defineConfig, type Strategy } from "./mod.ts";

/** A column every delivery of the source must have. */
const required = (name: string) => ({ name, required: true });

/**
 * The project's `default` coalescing of benefits (integer cents): the largest
 * oop_max and remaining_oop_max any source reports; the copay is the largest
 * reported, but never above that remaining_oop_max.
 */
const benefitsDefault: Strategy<"oop_max" | "remaining_oop_max" | "copay"> = (answers) => {
  let oop = -Infinity, remaining = -Infinity, copay = -Infinity;
  for (const a of answers) {
    oop = Math.max(oop, a.oop_max);
    remaining = Math.max(remaining, a.remaining_oop_max);
    copay = Math.max(copay, a.copay);
  }
  return { oop_max: oop, remaining_oop_max: remaining, copay: Math.min(copay, remaining) };
};

// The healthcare project: deliveries land in raw.* (sources below), models
// in models/ validate, normalize and aggregate them.
export default defineConfig({
  name: "wharf_healthcare",
  warehouse: "warehouse.duckdb",
  threads: 4,
  vars: {
    // Member status (marts.members) is computed as of this date. Declared a date:
    // a value that is no day of the calendar (here or in --vars) stops the command.
    as_of_date: { default: "2023-09-01", type: "date" },
    // The state and network type marts.tic_files_for_state_network answers for.
    tic_state: "NY",
    tic_network: "PPO",
  },
  // Landing order: procedures before visits before transactions (transactions
  // reference both), then members before claims. Each source declares the
  // columns its deliveries have (as raw names); `required` ones must be there,
  // and a file with a column not listed is refused: a misrouted file (client
  // B's claims as client A's) never defines or pollutes a raw table.
  sources: [
    {
      name: "visitpay_procedure",
      pattern:
        /^(?<hospital>[A-Za-z0-9]+)_VisitPay_Procedure_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/,
      delimiter: "\t",
      columns: [required("procedure_id"), required("procedure_description")],
    },
    {
      name: "visitpay_visit",
      pattern:
        /^(?<hospital>[A-Za-z0-9]+)_VisitPay_Visit_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/,
      delimiter: "\t",
      columns: [
        required("visit_identifier"),
        required("guarantor_identifier"),
        required("admit_date"),
        required("discharge_date"),
        required("visit_balance"),
        required("insurance_identifier"),
      ],
    },
    {
      name: "visitpay_transaction",
      pattern:
        /^(?<hospital>[A-Za-z0-9]+)_VisitPay_Transaction_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/,
      delimiter: "\t",
      columns: [
        required("transaction_identifier"),
        required("visit_identifier"),
        required("procedure_id"),
        required("amount"),
      ],
    },
    {
      name: "membership_client_a",
      pattern: /^Patient-membership-(?<client>clientA)-(?<period>\d{6})\.(csv|xlsx)$/i,
      // Identity and eligibility decide whether a member exists; contact fields may be absent.
      columns: [
        required("member_id"),
        "member_first_name",
        "member_middle_name",
        "member_last_name",
        "gender",
        "date_of_birth",
        "address",
        "city",
        "state",
        "zip",
        "phone_number",
        required("membership_end_date"),
        "ethnicity",
      ],
    },
    {
      name: "membership_client_b",
      pattern: /^Patient-membership-(?<client>clientB)-(?<period>\d{6})\.(csv|xlsx)$/i,
      columns: [
        required("elig_dt"),
        required("mem_id"),
        "member_fullname",
        "dob",
        "age_in_mths_no",
        "gender",
        "member_address",
        "member_address_2",
        "member_city",
        "member_state",
        "member_zip",
        "member_phone",
      ],
    },
    {
      name: "claims_client_a",
      pattern: /^Patient-claim-(?<client>clientA)-(?<period>\d{6})\.(csv|xlsx)$/i,
      columns: [
        "claim_category",
        required("member_id"),
        required("claim_number"),
        "date_received",
        "vendor",
        "hospital_service",
        "coding_system",
        "code",
        "primary_diagnosis",
        "total_billed",
        "processing_status",
      ],
    },
    {
      name: "claims_client_b",
      pattern: /^Patient-claim-(?<client>clientB)-(?<period>\d{6})\.(csv|xlsx)$/i,
      columns: [
        "claim_category",
        required("memb_id"),
        required("claim_number"),
        "received_date",
        "hospital_service",
        "code_system",
        "code",
        "diagnosis_type",
        "cost_total",
        "status",
      ],
    },
    {
      name: "benefits",
      pattern:
        /^benefits-(?<benefit_source>[a-z0-9_]+)-(?<delivered_at>\d{8}_\d{6})\.(json|ndjson|csv)(\.gz)?$/,
      columns: [
        required("member_id"),
        required("oop_max"),
        required("remaining_oop_max"),
        required("copay"),
        "as_of",
      ],
    },
    {
      name: "npi_list",
      pattern: /^npi[-_].*\.(txt|csv)$/i,
      delimiter: ",",
      columns: [required("npi")],
    },
  ],
  // The coalescing API (`/api/coalescence/{strategy}?member_id=…`) answers a member's
  // benefits from the mart's rows (one per member and source) and live upstreams.
  serve: {
    coalesce: {
      model: "marts.member_benefits",
      key: "member_id",
      source: "source",
      asOf: "as_of",
      fields: ["oop_max", "remaining_oop_max", "copay"],
      // A source whose latest figures for a member the checks of intermediate.int_benefits
      // rejected is named as failed, with the checks: the other sources answer, and when none
      // does the answer is unknown (502), not "not found".
      rejected: { relation: "intermediate.int_benefits__rejected", reason: "_failed_checks" },
    },
  },
  strategies: { default: benefitsDefault },
});
