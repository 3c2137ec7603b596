/**
 * `wharf gen`: deterministic synthetic deliveries for the healthcare domain,
 * at any scale, with a known number of each real-world trap planted, so
 * tests and the demo can assert exact outcomes.
 *
 * Every trap is planted on a row of its own (a row carries at most one), so
 * the count of each is exactly what validation should find.
 *
 * @module
 */
import { join } from "node:path";
import { npiCheckDigit } from "../enrich/npi_check.ts";
import { csvField } from "../csv/csv.ts";
import { Random } from "./random.ts";

/** Options of {@linkcode generate}. */
export interface GenerateOptions {
  /** Multiplies every row count; 1 gives about a hundred members per client. */
  scale?: number;
  /** Random seed; the same seed gives the same files. */
  seed?: number;
}

/** How many of each thing were generated and planted. */
export interface Planted {
  files: string[];
  visitpay: {
    /** Hospitals delivering (from the file names); counts below are over all of them. */
    hospitals: string[];
    procedures: number;
    /** Distinct (hospital, visit id). */
    visits: number;
    transactions: number;
    /** Visits delivered again in a later file with a new balance. */
    upserted_visits: number;
    /** Transactions whose visit is in no visit file of their hospital. */
    orphan_transactions: number;
    /** Visit ids delivered by two hospitals (different visits). */
    shared_visit_ids: number;
    /** Of the orphans: transactions whose visit id is known only at another hospital. */
    cross_hospital_transactions: number;
    /** Transactions with fractions of a cent (12.345). */
    sub_cent_amounts: number;
    /** Visits whose balance differs from the sum of their transactions. */
    balance_mismatches: number;
    /** In the late file (older timestamp, delivered last): new visits, and stale versions of visits a newer file has. */
    late_new_visits: number;
    late_stale_versions: number;
  };
  membership: Record<"client_a" | "client_b", MembershipTraps & { rows: number; members: number }>;
  /** Traps on client A's latest delivery (August), where validation looks. */
  latest_membership: LatestTraps;
  claims: {
    client_a: number;
    client_b: number;
    /** Claim numbers used by both clients. */
    shared_claim_numbers: number;
    /** Claims whose member is in no membership file of the client (or only without an id). */
    unknown_members: number;
    impossible_dates: number;
  };
  benefits: { sources: string[]; rows: Record<string, number>; members: number };
  npi: { lines: number; unique: number; invalid: number; duplicates: number };
}

interface MembershipTraps {
  missing_member_id: number;
  impossible_date: number;
  text_date: number;
  bad_state: number;
  empty_state: number;
  bad_zip: number;
  lost_zero_zip: number;
  bad_phone: number;
  gender_x: number;
  future_dob: number;
  trailing_nbsp: number;
  comma_in_address: number;
}

/**
 * Traps on a member's latest row (client A, August) whose older row (July) was
 * clean and ended before the as-of date, while the latest one ends after it:
 * the member must stay, active, with the bad value set to NULL.
 */
export interface LatestTraps {
  bad_phone: number;
  bad_zip: number;
  bad_state: number;
  gender_x: number;
  /** Born after the as-of date (2023-09-01) but before the day the data was made. */
  future_dob: number;
  /** First names delivered all upper case and last names all lower case. */
  upper_lower_names: number;
  /** Members whose last name is delivered in mixed case (MacLeod, McDonald, O'Neil, van der Berg). */
  mixed_case_names: number;
}

/** Last names whose mixed case is right as delivered. */
export const MIXED_CASE_NAMES: readonly string[] = [
  "MacLeod",
  "McDonald",
  "O'Neil",
  "van der Berg",
];

const TRAPS: (keyof MembershipTraps)[] = [
  "impossible_date",
  "text_date",
  "bad_state",
  "empty_state",
  "bad_zip",
  "lost_zero_zip",
  "bad_phone",
  "gender_x",
  "future_dob",
  "trailing_nbsp",
  "comma_in_address",
  "missing_member_id",
];

const FIRST = [
  "Brian",
  "Jonathan",
  "Neil",
  "Joshua",
  "Maria",
  "Aisha",
  "Wei",
  "Olga",
  "Carlos",
  "Fatima",
  "Kenji",
  "Grace",
  "Ravi",
  "Sofia",
  "Liam",
  "Noor",
];
const LAST = [
  "Pullman",
  "Campbell",
  "Gibson",
  "Cornish",
  "Garcia",
  "Okafor",
  "Chen",
  "Ivanova",
  "Lopez",
  "Haddad",
  "Sato",
  "McDonald",
  "Patel",
  "van der Berg",
  "MacLeod",
  "O'Neil",
];
const STREETS = [
  "Dogwood Drive",
  "Canal Court",
  "N. Marconi Street",
  "Greenview Avenue",
  "W. Mayfair St.",
  "Crescent St.",
  "South Piper Drive",
  "NE. Studebaker Ave.",
];
const CITIES: [string, string, string][] = [
  ["Richmond", "VA", "23220"],
  ["Virginia Beach", "VA", "23451"],
  ["Boston", "MA", "02130"],
  ["Newark", "NJ", "07102"],
  ["Hartford", "CT", "06103"],
  ["Seattle", "WA", "98101"],
  ["Austin", "TX", "78701"],
  ["Washington", "DC", "20001"],
  ["San Juan", "PR", "00901"],
];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DIAGNOSES: [string, string][] = [
  ["E08", "Diabetes mellitus"],
  ["E66", "Obesity"],
  ["I10", "Hypertension"],
  ["J45", "Asthma"],
  ["F32", "Major depressive disorder"],
  ["F41", "Anxiety disorder"],
  ["S93", "Ankle sprain"],
  ["J06", "Upper respiratory infection"],
];
const SERVICES: [string, string][] = [
  ["OUTPATIENT", "Laboratory"],
  ["PHYSICIAN", "Family Practice"],
  ["INPATIENT", "Surgery"],
  ["OUTPATIENT", "Radiology"],
];
const VENDORS = [
  "Heartstone Medical Center",
  "Grandview Community Hospital",
  "Honor Grave Clinic",
  "Clearwater Valley Community Hospital",
];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function isoDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function longDate(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

function mdy(d: Date): string {
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

function toCsv(header: string[], rows: (string | number | null)[][], delimiter = ","): string {
  const line = (r: (string | number | null)[]) =>
    delimiter === "," ? r.map(csvField).join(",") : r.map((v) => v ?? "").join(delimiter);
  return [header, ...rows].map(line).join("\n");
}

async function writeXlsx(
  path: string,
  sheet: string,
  header: string[],
  rows: (string | number | Date | null)[][],
  emptyTail = 0,
): Promise<void> {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  // Fixed times, so the same seed writes the same bytes (and a rerun lands nothing new).
  wb.created = wb.modified = XLSX_TIME;
  const ws = wb.addWorksheet(sheet);
  ws.addRow(header);
  for (const r of rows) ws.addRow(r);
  // Formatted-but-empty rows at the end, as real workbooks have them.
  for (let i = 0; i < emptyTail; i++) {
    ws.getRow(rows.length + 2 + i).getCell(1).style = { numFmt: "@" };
  }
  // ExcelJS stamps every zip entry with the current time: set a fixed one.
  const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
  await Deno.writeFile(path, stampZipEntries(bytes, XLSX_TIME));
}

/**
 * Sets the modification time of every entry of a zip archive, in its
 * central directory and its local headers (the times are outside the
 * checksummed data). Returns the same bytes, changed in place.
 */
function stampZipEntries(zip: Uint8Array, time: Date): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.length - 22; // the end-of-central-directory record, without a comment
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  if (end < 0) throw new Error("not a zip archive: no end of central directory");
  const dosTime = (time.getUTCHours() << 11) | (time.getUTCMinutes() << 5) |
    (time.getUTCSeconds() >> 1);
  const dosDate = ((time.getUTCFullYear() - 1980) << 9) | ((time.getUTCMonth() + 1) << 5) |
    time.getUTCDate();
  let at = view.getUint32(end + 16, true);
  for (let i = view.getUint16(end + 10, true); i > 0; i--) {
    view.setUint16(at + 12, dosTime, true);
    view.setUint16(at + 14, dosDate, true);
    const local = view.getUint32(at + 42, true);
    view.setUint16(local + 10, dosTime, true);
    view.setUint16(local + 12, dosDate, true);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) +
      view.getUint16(at + 32, true);
  }
  return zip;
}

/** The creation time written into generated workbooks. */
const XLSX_TIME = new Date(Date.UTC(2024, 0, 1));

interface Member {
  id: string;
  first: string;
  middle: string;
  last: string;
  gender: string;
  dob: Date;
  street: string;
  city: [string, string, string];
  phone: string;
  endDate: Date;
}

function makeMember(r: Random, id: string): Member {
  const dob = new Date(Date.UTC(r.int(1940, 2015), r.int(0, 11), r.int(1, 28)));
  return {
    id,
    first: r.pick(FIRST),
    middle: r.chars(1, "ABCDEFGHJKLMNPRSTUVW"),
    last: r.pick(LAST),
    gender: r.pick(["M", "F"]),
    dob,
    street: `${r.int(1, 9999)} ${r.pick(STREETS)}`,
    city: r.pick(CITIES),
    phone: `${r.int(2, 9)}${r.chars(9, "0123456789")}`,
    endDate: new Date(Date.UTC(2023, r.int(6, 11), r.int(1, 28))),
  };
}

/** Picks distinct row indexes for each trap (a row gets at most one). */
function assignTraps(r: Random, rows: number, perTrap: number): Map<number, keyof MembershipTraps> {
  const free = Array.from({ length: rows }, (_, i) => i);
  for (let i = free.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [free[i], free[j]] = [free[j]!, free[i]!];
  }
  const out = new Map<number, keyof MembershipTraps>();
  let at = 0;
  for (const trap of TRAPS) {
    for (let k = 0; k < perTrap && at < free.length; k++) out.set(free[at++]!, trap);
  }
  return out;
}

function emptyTraps(): MembershipTraps {
  return Object.fromEntries(TRAPS.map((t) => [t, 0])) as unknown as MembershipTraps;
}

/** Applies a trap to a member's delivered fields (as text). */
function trapFields(
  trap: keyof MembershipTraps | undefined,
  m: Member,
  r: Random,
): {
  id: string;
  end: string | Date;
  dob: string | Date;
  state: string;
  zip: string;
  phone: string;
  gender: string;
  street: string;
  first: string;
} {
  const out = {
    id: m.id,
    end: m.endDate as string | Date,
    dob: m.dob as string | Date,
    state: m.city[1],
    zip: m.city[2],
    phone: m.phone,
    gender: m.gender,
    street: m.street,
    first: m.first,
  };
  switch (trap) {
    case "impossible_date":
      out.end = r.pick(["2023-11-31", "11/31/2023", "2023-02-30", "9/31/2023"]);
      break;
    case "text_date":
      out.end = longDate(m.endDate);
      break;
    case "bad_state":
      out.state = r.pick(["88", "ZZ", "XX"]);
      break;
    case "empty_state":
      out.state = "";
      break;
    case "bad_zip":
      out.zip = r.pick(["123TY", "777TR", "ABCDE", "12"]);
      break;
    case "lost_zero_zip":
      out.zip = r.pick(["2130", "7102", "6103", "901"]);
      break;
    case "bad_phone":
      out.phone = r.pick([`${m.phone.slice(0, 4)}YYYTI90`, `1${m.phone}`, "555-CALL-NOW"]);
      break;
    case "gender_x":
      out.gender = "X";
      break;
    case "future_dob":
      out.dob = new Date(Date.UTC(r.int(2031, 2040), r.int(0, 11), r.int(1, 28)));
      break;
    case "trailing_nbsp":
      out.first = `${m.first}\u00a0`;
      break;
    case "comma_in_address":
      out.street = `${m.street}, APT ${r.int(1, 40)}`;
      break;
    case "missing_member_id":
      out.id = "";
      break;
  }
  return out;
}

/** Digits as an Excel number, as real workbooks hold them; text when a leading zero would be lost. */
function excelNumber(v: string): string | number {
  return /^[1-9]\d*$/.test(v) ? Number(v) : v;
}

function luhnNpi(r: Random): string {
  const first9 = `1${r.chars(8, "0123456789")}`;
  return `${first9}${npiCheckDigit(first9)}`;
}

/**
 * Writes a full set of deliveries under `dir` and returns what it planted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generate } from "./generate.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const planted = await generate(dir, { scale: 0.2, seed: 42 });
 * assert.ok(planted.membership.client_b.impossible_date > 0);
 * for (const file of planted.files) assert.ok((await Deno.stat(`${dir}/${file}`)).size > 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function generate(dir: string, options: GenerateOptions = {}): Promise<Planted> {
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new RangeError(`scale must be positive, got ${scale}`);
  const r = new Random(options.seed ?? 42);
  const files: string[] = [];
  const write = async (rel: string, text: string) => {
    const path = join(dir, rel);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, text);
    files.push(rel);
  };
  const n = (base: number) => Math.max(4, Math.round(base * scale));

  // --- VisitPay: procedures, visits over three days, transactions; no newline after the last line.
  const procedures = Array.from(
    { length: n(8) + 4 },
    (
      _,
      i,
    ) => [
      String(i + 1),
      r.pick([
        "ACL repair",
        "Beard trim",
        "Extra special bandaid",
        "Can't remember",
        "MRI knee",
        "Blood panel",
      ]) + ` ${i + 1}`,
    ],
  );
  await write(
    "visitpay/HospitalABC_VisitPay_Procedure_20240101_220000.txt",
    toCsv(["ProcedureId", "ProcedureDescription"], procedures.slice(0, -2), "\t"),
  );
  await write(
    "visitpay/HospitalABC_VisitPay_Procedure_20240102_220000.txt",
    toCsv(["ProcedureId", "ProcedureDescription"], procedures.slice(-2), "\t"),
  );
  // At least one visit each delivery day and in the late file, however small the scale.
  const visitCount = Math.max(8, n(60));
  const visits = Array.from({ length: visitCount }, (_, i) => {
    const admit = new Date(Date.UTC(2023, r.int(0, 11), r.int(1, 25)));
    return {
      id: String(321000001 + i),
      guarantor: String(9870001 + i),
      admit,
      discharge: new Date(admit.getTime() + r.int(0, 5) * 86400000),
      insurance: String(r.int(1, 3)),
    };
  });
  const transactions: { id: string; visit: string; procedure: string; cents: number }[] = [];
  let txId = 54321000001;
  for (const v of visits) {
    for (let k = r.int(1, 3); k > 0; k--) {
      transactions.push({
        id: String(txId++),
        visit: v.id,
        procedure: r.pick(procedures)[0]!,
        cents: r.int(500, 250000),
      });
    }
  }
  const balance = new Map<string, number>();
  for (const t of transactions) balance.set(t.visit, (balance.get(t.visit) ?? 0) + t.cents);
  const mismatched = new Set(visits.filter(() => r.chance(0.1)).map((v) => v.id));
  const visitRow = (
    v: typeof visits[number],
    cents: number,
  ) => [v.id, v.guarantor, mdy(v.admit), mdy(v.discharge), (cents / 100).toFixed(2), v.insurance];
  const delivered = (v: typeof visits[number]) =>
    (balance.get(v.id) ?? 0) + (mismatched.has(v.id) ? 1000 : 0);
  const VISIT_HEADER = [
    "VisitIdentifier",
    "GuarantorIdentifier",
    "AdmitDate",
    "DischargeDate",
    "VisitBalance",
    "InsuranceIdentifier",
  ];
  const day1 = visits.slice(0, Math.ceil(visitCount * 0.6));
  const day2 = visits.slice(day1.length, visitCount - 2);
  const lateNew = visits.slice(visitCount - 2);
  // Day 2 re-delivers some day-1 visits (upserts) with their final balance; day 1 had a stale one.
  const upserted = day1.filter(() => r.chance(0.2));
  const upsertedIds = new Set(upserted.map((v) => v.id));
  await write(
    "visitpay/HospitalABC_VisitPay_Visit_20240101_221500.txt",
    toCsv(
      VISIT_HEADER,
      day1.map((v) => visitRow(v, upsertedIds.has(v.id) ? delivered(v) + 5000 : delivered(v))),
      "\t",
    ),
  );
  await write(
    "visitpay/HospitalABC_VisitPay_Visit_20240103_221500.txt",
    toCsv(VISIT_HEADER, [...day2, ...upserted].map((v) => visitRow(v, delivered(v))), "\t"),
  );
  // The late file: timestamped between the two, delivered after them. One stale version of a day-2 visit must not win.
  const stale = day2[0]!;
  await write(
    "visitpay_late/HospitalABC_VisitPay_Visit_20240102_221500.txt",
    toCsv(VISIT_HEADER, [
      ...lateNew.map((v) => visitRow(v, delivered(v))),
      visitRow(stale, delivered(stale) + 99900),
    ], "\t"),
  );
  const orphans = Array.from(
    { length: n(3) },
    (_, i) => ({
      id: String(txId++),
      visit: String(329000001 + i),
      procedure: "1",
      cents: r.int(500, 9000),
    }),
  );
  const TX_HEADER = ["TransactionIdentifier", "VisitIdentifier", "ProcedureId", "Amount"];
  const txRow = (
    t: typeof transactions[number],
  ) => [t.id, t.visit, t.procedure, (t.cents / 100).toFixed(2)];
  const allTx = [...transactions, ...orphans];
  const cut = Math.ceil(allTx.length / 2);
  await write(
    "visitpay/HospitalABC_VisitPay_Transaction_20240101_223000.txt",
    toCsv(TX_HEADER, allTx.slice(0, cut).map(txRow), "\t"),
  );
  await write(
    "visitpay/HospitalABC_VisitPay_Transaction_20240103_223000.txt",
    toCsv(TX_HEADER, allTx.slice(cut).map(txRow), "\t"),
  );

  // --- A second hospital, from its own random stream (the first hospital's files stay as they
  // were): the same procedure, visit and transaction ids as HospitalABC for other things, a
  // transaction naming a visit only HospitalABC has, and an amount with fractions of a cent.
  const r2 = new Random(((options.seed ?? 42) ^ 0x5bd1e995) >>> 0);
  const xyzProcedures = procedures.map((
    [id],
  ) => [id!, `XYZ ${r2.pick(["Consult", "X-ray", "Cast"])}`]);
  const xyzVisits = visits.slice(0, Math.max(2, Math.round(visitCount / 6)));
  const xyzTx: typeof transactions = [];
  let xyzTxId = 54321000001;
  for (const v of xyzVisits) {
    for (let k = r2.int(1, 2); k > 0; k--) {
      xyzTx.push({
        id: String(xyzTxId++),
        visit: v.id,
        procedure: r2.pick(xyzProcedures)[0]!,
        cents: r2.int(500, 90000),
      });
    }
  }
  const xyzBalance = new Map<string, number>();
  for (const t of xyzTx) xyzBalance.set(t.visit, (xyzBalance.get(t.visit) ?? 0) + t.cents);
  // Orphans at HospitalXYZ whose visit id HospitalABC has: they must not match it.
  const crossHospital = visits.slice(xyzVisits.length, xyzVisits.length + n(1)).map((v) => ({
    id: String(xyzTxId++),
    visit: v.id,
    procedure: "1",
    cents: r2.int(500, 9000),
  }));
  const subCent = [xyzVisits[0]!].map((v) => [String(xyzTxId++), v.id, "1", "12.345"]);
  await write(
    "visitpay/HospitalXYZ_VisitPay_Procedure_20240101_230000.txt",
    toCsv(["ProcedureId", "ProcedureDescription"], xyzProcedures, "\t"),
  );
  await write(
    "visitpay/HospitalXYZ_VisitPay_Visit_20240101_231500.txt",
    toCsv(
      VISIT_HEADER,
      xyzVisits.map((v) => [
        v.id,
        String(7770001 + Number(v.id) % 1000),
        mdy(v.admit),
        mdy(v.discharge),
        ((xyzBalance.get(v.id) ?? 0) / 100).toFixed(2),
        "1",
      ]),
      "\t",
    ),
  );
  await write(
    "visitpay/HospitalXYZ_VisitPay_Transaction_20240101_233000.txt",
    toCsv(TX_HEADER, [...[...xyzTx, ...crossHospital].map(txRow), ...subCent], "\t"),
  );

  // --- Members, client A (two monthly deliveries) and client B (one), each with their own vocabulary.
  const perTrap = Math.max(1, Math.round(2 * scale));
  const membership = {
    client_a: { ...emptyTraps(), rows: 0, members: 0 },
    client_b: { ...emptyTraps(), rows: 0, members: 0 },
  };
  const aMembers = Array.from(
    { length: n(100) },
    (_, i) => makeMember(r, String(75524163 + i * 7919)),
  );
  const A_HEADER = [
    "member id",
    "member first name",
    "member middle name",
    "member last name",
    "gender",
    "date of birth",
    "address",
    "city",
    "state",
    "zip",
    "phone number",
    "membership end date",
    "ethnicity",
  ];
  const aRow = (m: Member, trap: keyof MembershipTraps | undefined, asXlsx: boolean) => {
    const f = trapFields(trap, m, r);
    const end = f.end instanceof Date ? (asXlsx ? f.end : `${isoDate(f.end)} 00:00:00`) : f.end;
    return [
      f.id === "" ? "" : Number(f.id),
      f.first,
      m.middle,
      m.last,
      f.gender,
      f.dob instanceof Date ? longDate(f.dob) : f.dob,
      `${f.street} `,
      m.city[0],
      f.state,
      asXlsx ? excelNumber(f.zip) : f.zip,
      asXlsx ? excelNumber(f.phone) : f.phone,
      end,
      r.pick(["White", "Asian", "Black", "Hispanic", ""]),
    ];
  };
  const julyA = aMembers.slice(0, Math.ceil(aMembers.length * 0.9));
  const trapsA = assignTraps(r, julyA.length, perTrap);
  // Members whose August row carries a trap: clean in July and ending before
  // the as-of date then, ending after it in August.
  const latest: LatestTraps = {
    bad_phone: 0,
    bad_zip: 0,
    bad_state: 0,
    gender_x: 0,
    future_dob: 0,
    upper_lower_names: 0,
    mixed_case_names: 0,
  };
  const latestKinds: (keyof LatestTraps)[] = [
    "bad_phone",
    "bad_zip",
    "bad_state",
    "gender_x",
    "future_dob",
    "upper_lower_names",
  ];
  const latestTrap = new Map<string, keyof LatestTraps>();
  const candidates = julyA.filter((m, i) => !trapsA.has(i) && !MIXED_CASE_NAMES.includes(m.last));
  for (const kind of latestKinds) {
    for (let k = 0; k < perTrap && candidates.length; k++) {
      const m = candidates.shift()!;
      latestTrap.set(m.id, kind);
      latest[kind]++;
      if (kind !== "upper_lower_names") m.endDate = new Date(Date.UTC(2023, 7, 15));
    }
  }
  const julyRows = julyA.map((m, i) => {
    const t = trapsA.get(i);
    if (t) membership.client_a[t]++;
    return aRow(m, t, false);
  });
  await write(
    "waymark/Patient-membership-clientA-202307.csv",
    toCsv(A_HEADER, julyRows as (string | number)[][]),
  );
  // August: everyone again, eligibility extended for some, plus new members;
  // clean but for the latest-row traps.
  for (const m of aMembers) {
    if (r.chance(0.3)) m.endDate = new Date(m.endDate.getTime() + 90 * 86400000);
    const kind = latestTrap.get(m.id);
    if (kind && kind !== "upper_lower_names") m.endDate = new Date(Date.UTC(2023, 11, 31));
  }
  const augustRow = (m: Member) => {
    const row = aRow(m, undefined, true);
    switch (latestTrap.get(m.id)) {
      case "bad_phone":
        row[10] = Number(`1${m.phone}`);
        break;
      case "bad_zip":
        row[9] = "123TY";
        break;
      case "bad_state":
        row[8] = "ZZ";
        break;
      case "gender_x":
        row[4] = "X";
        break;
      case "future_dob":
        row[5] = longDate(new Date(Date.UTC(2024, 4, 17)));
        break;
      case "upper_lower_names":
        row[1] = m.first.toUpperCase();
        row[3] = m.last.toLowerCase();
        break;
    }
    return row;
  };
  latest.mixed_case_names = aMembers.filter((m) => MIXED_CASE_NAMES.includes(m.last)).length;
  await writeXlsx(
    join(dir, "waymark/Patient-membership-clientA-202308.xlsx"),
    "Members",
    A_HEADER,
    aMembers.map(augustRow) as (string | number | Date)[][],
    50,
  );
  files.push("waymark/Patient-membership-clientA-202308.xlsx");
  membership.client_a.rows = julyRows.length + aMembers.length;
  membership.client_a.members = aMembers.length;

  const bMembers = Array.from({ length: n(60) }, () => makeMember(r, r.chars(10)));
  const B_HEADER = [
    "Elig_Dt",
    "mem_id",
    "Member_Fullname",
    "Dob",
    "Age_In_Mths_No",
    "Gender",
    "Member_Address",
    "Member_Address_2",
    "Member_City",
    "Member_State",
    "Member_Zip",
    "Member_Phone",
  ];
  const trapsB = assignTraps(r, bMembers.length, perTrap);
  const bRows = bMembers.map((m, i) => {
    const t = trapsB.get(i);
    if (t) membership.client_b[t]++;
    const f = trapFields(t, m, r);
    const months = Math.floor((Date.UTC(2023, 6, 1) - m.dob.getTime()) / (30.44 * 86400000));
    return [
      f.end,
      f.id,
      `${m.last.toUpperCase()}, ${f.first.toUpperCase()} ${m.middle}`,
      f.dob,
      months,
      f.gender,
      f.street,
      r.chance(0.3) ? `APT ${r.int(1, 900)}` : null,
      m.city[0].toUpperCase(),
      f.state,
      excelNumber(f.zip),
      excelNumber(f.phone),
    ];
  });
  await writeXlsx(
    join(dir, "waymark/Patient-membership-clientB-202307.xlsx"),
    "WaymarkMemberProvider",
    B_HEADER,
    bRows,
    200,
  );
  files.push("waymark/Patient-membership-clientB-202307.xlsx");
  membership.client_b.rows = bRows.length;
  membership.client_b.members = bMembers.length;

  // --- Claims: both clients, claim numbers that repeat across clients, members in no membership file.
  const claims = {
    client_a: 0,
    client_b: 0,
    shared_claim_numbers: 0,
    unknown_members: 0,
    impossible_dates: 0,
  };
  const shared = Array.from({ length: n(3) }, () => r.chars(6));
  claims.shared_claim_numbers = shared.length;
  const claimRows = (members: Member[], count: number, unknownPrefix: string) => {
    const rows: {
      member: string;
      number: string;
      date: string;
      dx: [string, string];
      svc: [string, string];
      cents: number;
    }[] = [];
    for (let i = 0; i < count; i++) {
      const unknown = i < n(2);
      const number = i < shared.length ? shared[i]! : r.chars(6);
      const date = i === count - 1
        ? "2023-06-31"
        : `${isoDate(new Date(Date.UTC(2023, r.int(5, 7), r.int(1, 28))))} 00:00:00`;
      rows.push({
        member: unknown ? `${unknownPrefix}${r.chars(6, "0123456789")}` : r.pick(members).id,
        number,
        date,
        dx: r.pick(DIAGNOSES),
        svc: r.pick(SERVICES),
        cents: r.int(5000, 1500000),
      });
    }
    claims.unknown_members += n(2);
    claims.impossible_dates += 1;
    return rows;
  };
  const aClaims = claimRows(aMembers, n(120), "99");
  const A_CLAIM = [
    "claim category",
    "member id",
    "claim number",
    "date received",
    "vendor",
    "hospital service",
    "coding system",
    "code",
    "primary diagnosis",
    "total billed",
    "processing status",
  ];
  const half = Math.ceil(aClaims.length / 2);
  const aClaimRow = (
    c: typeof aClaims[number],
  ) => [
    c.svc[0],
    c.member,
    c.number,
    c.date,
    r.pick(VENDORS),
    c.svc[1],
    "ICD10",
    c.dx[0],
    c.dx[1],
    (c.cents / 100).toFixed(2),
    "Completed",
  ];
  await write(
    "waymark/Patient-claim-clientA-202307.csv",
    toCsv(A_CLAIM, aClaims.slice(0, half).map(aClaimRow)),
  );
  await write(
    "waymark/Patient-claim-clientA-202308.csv",
    toCsv(A_CLAIM, aClaims.slice(half).map(aClaimRow)),
  );
  claims.client_a = aClaims.length;
  const bClaims = claimRows(bMembers, n(80), "ZZ");
  // Client B members delivered only without their id are in no membership file either.
  const idless = new Set(
    bMembers.filter((_, i) => trapsB.get(i) === "missing_member_id").map((m) => m.id),
  );
  claims.unknown_members += bClaims.filter((c) => idless.has(c.member)).length;
  const B_CLAIM = [
    "claim_category",
    "memb_id",
    "claim_number",
    "received_date",
    "hospital_service",
    "code_system",
    "code",
    "diagnosis_type",
    "cost_total",
    "status",
  ];
  await writeXlsx(
    join(dir, "waymark/Patient-claim-clientB-202307.xlsx"),
    "Claims",
    B_CLAIM,
    bClaims.map((
      c,
    ) => [
      c.svc[0],
      c.member,
      c.number,
      c.date.length > 10 ? new Date(`${c.date.slice(0, 10)}T00:00:00Z`) : c.date,
      c.svc[1],
      "ICD10",
      c.dx[0],
      c.dx[1],
      c.cents / 100,
      "Completed",
    ]),
  );
  files.push("waymark/Patient-claim-clientB-202307.xlsx");
  claims.client_b = bClaims.length;

  // --- Benefits from three sources in three formats, integer cents; not every source knows every member.
  const everyone = [...aMembers.map((m) => m.id), ...bMembers.map((m) => m.id)];
  const sources = ["payer_a", "payer_b", "payer_c"];
  const benefitRows: Record<string, number> = {};
  const known = new Set<string>();
  const asOf = "2024-01-15T12:00:00Z";
  for (const [si, source] of sources.entries()) {
    const rows = everyone.filter(() => r.chance(0.8)).map((id) => {
      known.add(id);
      const oop = r.int(100, 900) * 1000;
      return {
        member_id: id,
        oop_max: oop,
        remaining_oop_max: r.int(0, oop / 1000) * 1000,
        copay: r.pick([1500, 2000, 2500, 3000, 5000]),
        as_of: asOf,
      };
    });
    benefitRows[source] = rows.length;
    const stamp = `20240115_12000${si}`;
    if (si === 0) {
      await write(`benefits/benefits-${source}-${stamp}.json`, JSON.stringify(rows, null, 1));
    } else if (si === 1) {
      await write(
        `benefits/benefits-${source}-${stamp}.ndjson`,
        rows.map((x) => JSON.stringify(x)).join("\n") + "\n",
      );
    } else {await write(
        `benefits/benefits-${source}-${stamp}.csv`,
        toCsv(
          Object.keys(rows[0] ?? { member_id: 0 }),
          rows.map((x) => Object.values(x)),
        ),
      );}
  }

  // --- NPI list: a header, valid NPIs, duplicates, invalid ones.
  const valid = Array.from({ length: n(40) }, () => luhnNpi(r));
  const invalid = Array.from({ length: n(3) }, () => {
    const v = luhnNpi(r);
    return `${v.slice(0, 9)}${(Number(v[9]) + 1) % 10}`;
  });
  const duplicates = valid.slice(0, n(4));
  const npiLines = [...valid, ...invalid, ...duplicates];
  for (let i = npiLines.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [npiLines[i], npiLines[j]] = [npiLines[j]!, npiLines[i]!];
  }
  await write("npi/npi-list.txt", ["npi", ...npiLines].join("\n") + "\n");

  return {
    files: files.sort(),
    visitpay: {
      hospitals: ["HospitalABC", "HospitalXYZ"],
      procedures: procedures.length + xyzProcedures.length,
      visits: visitCount + xyzVisits.length,
      transactions: transactions.length + orphans.length + xyzTx.length + crossHospital.length +
        subCent.length,
      upserted_visits: upserted.length,
      orphan_transactions: orphans.length + crossHospital.length,
      shared_visit_ids: xyzVisits.length,
      cross_hospital_transactions: crossHospital.length,
      sub_cent_amounts: subCent.length,
      balance_mismatches: mismatched.size,
      late_new_visits: lateNew.length,
      late_stale_versions: 1,
    },
    membership,
    latest_membership: latest,
    claims,
    benefits: { sources, rows: benefitRows, members: known.size },
    npi: {
      lines: npiLines.length,
      unique: valid.length + invalid.length,
      invalid: invalid.length,
      duplicates: duplicates.length,
    },
  };
}
