/**
 * dbt's `modules` in wharf's Jinja: `modules.datetime` (datetime, date,
 * timedelta, timezone: made, added, subtracted, compared, formatted,
 * parsed, printed as Python prints them), `modules.pytz` and `modules.re`
 * with Python's results, and what wharf lacks named as such.
 */
import assert from "node:assert/strict";
import { DbtJinja, RenderProblem } from "../../src/engine/dbt/dbt_jinja.ts";

/** Renders one template line by line with no macros; each line's output. */
function render(lines: string[], context: Record<string, unknown> = {}): string[] {
  const jinja = new DbtJinja("shop", []);
  return jinja.render("models/x.sql", lines.join("\n"), context).text.split("\n");
}

/** The problem a template's render fails with. */
function problem(template: string): RenderProblem {
  const jinja = new DbtJinja("shop", []);
  try {
    jinja.render("models/x.sql", template, {});
  } catch (err) {
    if (err instanceof RenderProblem) return err;
    throw err;
  }
  throw new Error(`${template} rendered`);
}

Deno.test("modules.datetime: construction, arithmetic, comparison, strftime, strptime, isoformat, replace, printing", () => {
  const dt = "modules.datetime";
  assert.deepEqual(
    render([
      `{%- set d = ${dt}.date(2024, 1, 31) -%}`,
      `{%- set start = ${dt}.datetime.strptime('2024-01-31 10:05', '%Y-%m-%d %H:%M') -%}`,
      `{%- set day = ${dt}.timedelta(days=1) -%}`,
      "{{ d }}",
      `{{ d + day }}|{{ d - ${dt}.timedelta(hours=25) }}|{{ (d + day).strftime('%a %d %b %Y') }}`,
      "{{ start }}|{{ start + day + day }}|{{ start - day * 1 if false else start - day }}",
      `{{ start - ${dt}.datetime(2024, 1, 1) }}|{{ (start - ${dt}.datetime(2024, 1, 1)).days }}`,
      `{{ ${dt}.timedelta(hours=36, minutes=1) }}|{{ ${dt}.timedelta(seconds=-1) }}|{{ ${dt}.timedelta(milliseconds=1500).total_seconds() }}`,
      "{{ start.isoformat() }}|{{ start.isoformat(' ') }}|{{ start.replace(day=1, hour=0) }}|{{ d.replace(month=2, day=29) }}",
      `{{ start > ${dt}.datetime(2024, 1, 31, 10) }}|{{ d < ${dt}.date(2024, 2, 1) }}|{{ d == ${dt}.date(2024, 1, 31) }}|{{ day < ${dt}.timedelta(hours=25) }}`,
      "{{ start.year }}-{{ start.month }}-{{ start.day }} {{ start.hour }}:{{ start.minute }} {{ start.weekday() }} {{ start.isoweekday() }} {{ start.date() }}",
      `{{ ${dt}.datetime(2024, 1, 31, 23, 59, 59, 5) }}|{{ ${dt}.datetime.fromisoformat('2024-03-01T08:00:00+02:00') }}|{{ ${dt}.date.fromisoformat('2024-03-01') }}`,
      `{{ ${dt}.datetime(2024, 1, 1, tzinfo=${dt}.timezone.utc) }}|{{ ${dt}.timezone(${dt}.timedelta(hours=-5)) }}|{{ ${dt}.datetime(2024, 1, 1, 12, tzinfo=${dt}.timezone(${dt}.timedelta(hours=2))).astimezone(${dt}.timezone.utc) }}`,
      `{{ ${dt}.datetime.strptime('31/01/2024 02:30 PM', '%d/%m/%Y %I:%M %p') }}|{{ ${dt}.datetime.strptime('2024-01-05T10:00:00+0100', '%Y-%m-%dT%H:%M:%S%z') }}|{{ ${dt}.datetime.strptime('March 3 24', '%B %d %y').strftime('%j %U %W %y') }}`,
      `{{ '%s' ~ ${dt}.date(2024, 12, 30).isocalendar() }}|{{ [${dt}.date(2024, 3, 1), ${dt}.date(2024, 1, 1)] | sort | first }}`,
    ]),
    [
      "2024-01-31",
      "2024-02-01|2024-01-30|Thu 01 Feb 2024",
      "2024-01-31 10:05:00|2024-02-02 10:05:00|2024-01-30 10:05:00",
      "30 days, 10:05:00|30",
      "1 day, 12:01:00|-1 day, 23:59:59|1.5",
      "2024-01-31T10:05:00|2024-01-31 10:05:00|2024-01-01 00:05:00|2024-02-29",
      "True|True|True|True",
      "2024-1-31 10:5 2 3 2024-01-31",
      "2024-01-31 23:59:59.000005|2024-03-01 08:00:00+02:00|2024-03-01",
      "2024-01-01 00:00:00+00:00|UTC-05:00|2024-01-01 10:00:00+00:00",
      "2024-01-31 14:30:00|2024-01-05 10:00:00+01:00|063 09 09 24",
      "%s[2025, 1, 1]|2024-01-01",
    ],
  );
});

Deno.test("modules.datetime now(), utcnow() and today() are the current time", () => {
  assert.deepEqual(
    render([
      "{{ modules.datetime.datetime.now().year >= 2024 and modules.datetime.datetime.now().tzinfo is none }}",
      "{{ (modules.datetime.datetime.utcnow() - modules.datetime.datetime.now(modules.pytz.utc).replace(tzinfo=none)).days in [-1, 0] }}",
      "{{ modules.datetime.date.today().strftime('%Y') | int >= 2024 }}",
    ]),
    ["True", "True", "True"],
  );
});

Deno.test("modules.pytz: utc, timezone(name), localize and astimezone", () => {
  assert.deepEqual(
    render([
      "{%- set ny = modules.pytz.timezone('America/New_York') -%}",
      "{{ modules.pytz.utc }}|{{ modules.pytz.UTC.zone }}|{{ modules.pytz.timezone('UTC') }}",
      "{{ ny }}|{{ ny.zone }}|{{ ny.localize(modules.datetime.datetime(2024, 7, 1, 12)) }}|{{ ny.localize(modules.datetime.datetime(2024, 1, 1, 12)) }}",
      "{{ modules.datetime.datetime(2024, 7, 1, 12, tzinfo=modules.pytz.utc).astimezone(ny) }}|{{ modules.datetime.datetime(2024, 7, 1, 12, tzinfo=modules.pytz.utc).astimezone(ny).strftime('%H:%M %z') }}",
      "{{ modules.datetime.datetime.now(modules.pytz.utc).tzinfo }}",
    ]),
    [
      "UTC|UTC|UTC",
      "America/New_York|America/New_York|2024-07-01 12:00:00-04:00|2024-01-01 12:00:00-05:00",
      "2024-07-01 08:00:00-04:00|08:00 -0400",
      "UTC",
    ],
  );
});

Deno.test("modules.re: match, search, fullmatch, findall, sub, split, compile and escape with Python's results", () => {
  const re = "modules.re";
  assert.deepEqual(
    render([
      String
        .raw`{%- set m = ${re}.match('(?P<year>\d{4})-(?P<month>\d{2})(-(\d{2}))?', '2024-01 rest') -%}`,
      String.raw`{%- set p = ${re}.compile('^stg_(\w+)$', ${re}.IGNORECASE) -%}`,
      `{{ ${re}.match('a', 'ba') is none }}|{{ ${re}.search('a', 'ba').start() }}|{{ ${re}.fullmatch('a|ab', 'ab').group() }}|{{ ${re}.match('(?i)B', 'ba') is not none }}`,
      "{{ m.group(0) }}|{{ m.group('year') }}|{{ m.group(1, 2) }}|{{ m.groups() }}|{{ m.groupdict() }}|{{ m.span(2) }}|{{ m.end() }}",
      // Written as in Python: '\d' keeps its backslash.
      String
        .raw`{{ ${re}.findall('\d+', 'a1b22c333') }}|{{ ${re}.findall('(\w)=(\d)', 'a=1, b=2') }}|{{ ${re}.findall('x(y)?', 'xxy') }}`,
      // As in Python, '\\1' is a backslash and 1 (a group of a replacement); '\1' is chr(1).
      String
        .raw`{{ ${re}.sub('(\w+)@(\w+)', '\\2 at \\1', 'ann@home, bo@work') }}|{{ ${re}.sub('(?P<n>\d)', '<\\g<n>>', 'a1b2', count=1) }}|{{ ${re}.sub('x*', '-', 'abc') }}|{{ ${re}.sub('a', '\1', 'a') == '\x01' }}`,
      `{{ ${re}.split('[,;] *', 'a, b;c') }}|{{ ${re}.split('(-)', 'a-b') }}|{{ ${re}.split(',', 'a,b,c', maxsplit=1) }}`,
      String
        .raw`{{ p.match('STG_orders').group(1) }}|{{ p.sub('\\1', 'stg_payments') }}|{{ p.pattern }}|{{ ${re}.escape('a.b*c') }}`,
      String
        .raw`{{ ${re}.search('end$', 'the end\n') is not none }}|{{ ${re}.search('\Aab\Z', 'ab') is not none }}|{{ ${re}.match('.', '\n', ${re}.S) is not none }}`,
      `{{ ${re}.match('a', 'abc') }}`,
    ]),
    [
      "True|1|ab|True",
      // minijinja prints a mapping's keys sorted. The tuples of group(1, 2), groups(), span()
      // and findall()'s groups print as lists (wharf's modules.re gives lists).
      "2024-01|2024|['2024', '01']|['2024', '01', None, None]|{'month': '01', 'year': '2024'}|[5, 7]|7",
      "['1', '22', '333']|[['a', '1'], ['b', '2']]|['', 'y']",
      "home at ann, work at bo|a<1>b2|-a-b-c-|True",
      "['a', 'b', 'c']|['a', '-', 'b']|['a', 'b,c']",
      "orders|payments|^stg_(\\w+)$|a\\.b\\*c",
      "True|True|True",
      "<re.Match object; span=(0, 1), match='a'>",
    ],
  );
});

Deno.test("what modules lacks, and what Python refuses, are errors naming it", () => {
  const cases: [string, RegExp][] = [
    [
      "{{ modules.itertools.chain([1]) }}",
      /^modules\.itertools is not available in wharf's Jinja \(modules has datetime, pytz, re\)$/,
    ],
    [
      "{{ modules.datetime.time(1, 2) }}",
      /^modules\.datetime\.time is not available in wharf's Jinja \(modules\.datetime has datetime, date, timedelta, timezone, MINYEAR, MAXYEAR\)$/,
    ],
    [
      "{{ modules.pytz.all_timezones }}",
      /^modules\.pytz\.all_timezones is not available in wharf's Jinja \(modules\.pytz has timezone, utc, UTC\)$/,
    ],
    [
      "{{ modules.datetime.datetime.fromordinal(1) }}",
      /^modules\.datetime\.datetime\.fromordinal is not available .*\(modules\.datetime\.datetime has now, utcnow, today, strptime, fromisoformat/,
    ],
    ["{{ modules.datetime.date(2024, 2, 30) }}", /^date\(\): day is out of range for month$/],
    [
      "{{ modules.datetime.datetime.strptime('2024-13-01', '%Y-%m-%d') }}",
      /^datetime\.strptime\(\): time data "2024-13-01" does not match format "%Y-%m-%d"$/,
    ],
    [
      "{{ modules.datetime.timedelta(weeks='2') }}",
      /^timedelta\(\): weeks must be a number, got "2"$/,
    ],
    [
      "{{ modules.datetime.datetime(2024, 1, 1) - modules.datetime.datetime(2024, 1, 1, tzinfo=modules.pytz.utc) }}",
      /^cannot subtract a naive datetime and an aware one$/,
    ],
    [
      "{{ modules.datetime.date(2024, 1, 1) + 1 }}",
      /^unsupported operand for \+: date and a number/,
    ],
    [
      "{{ modules.datetime.timedelta(days=1) * 2 }}",
      /tried to use \* operator on unsupported types map and number: wharf's Jinja adds and subtracts modules\.datetime values/,
    ],
    [
      "{{ modules.datetime.datetime(2024, 1, 1).timetuple() }}",
      /^"timetuple\(\)" is not a method of this value \(a mapping; wharf's modules\.datetime values have strftime, isoformat, replace/,
    ],
    [
      "{{ modules.pytz.timezone('Mars/Olympus') }}",
      /^modules\.pytz\.timezone\("Mars\/Olympus"\): unknown time zone \(UnknownTimeZoneError\)$/,
    ],
    [
      "{{ modules.re.match('(?x) a', 'a') }}",
      /^re\.match\(\): verbose patterns \(re\.X, \(\?x\)\) are not read by wharf/,
    ],
    ["{{ modules.re.sub('a', '\\\\d', 'a') }}", /^re\.sub\(\): bad escape \\d in the replacement$/],
    ["{{ modules.re.match('(', 'a') }}", /^re\.match\(\): the pattern "\(" is not valid/],
    [
      "{{ dbt_utils.star('orders') }}",
      /^dbt_utils\.star\(\): "dbt_utils" is not defined: no variable, macro or installed package has that name; if it is a package, it is not installed here: list it in packages\.yml \(if it is not there yet\), install it where the network allows \(`dbt deps`, .*\), and run `wharf deps`/,
    ],
  ];
  for (const [template, expected] of cases) {
    const p = problem(`select 1\n  , ${template}`);
    assert.match(p.message, expected, template);
    assert.equal(p.line, 2, template);
  }
});

Deno.test("a module or class set to a name is used by that name: {% set dt = modules.datetime.datetime %} then dt.now(), dt(…)", () => {
  assert.deepEqual(
    render([
      "{%- set dt = modules.datetime.datetime -%}",
      "{%- set m = modules.datetime -%}",
      "{{ dt(2024, 1, 2) }}|{{ dt.strptime('2024-05-06', '%Y-%m-%d').day }}|{{ dt.now().year > 2000 }}",
      "{{ (dt(2024, 1, 2) + m.timedelta(days=3)).strftime('%Y-%m-%d') }}|{{ m.date(2024, 2, 29) }}",
      // Set to something else, the name is no longer the class.
      "{% set dt = {'now': 'text'} -%}",
      "{{ dt.now }}",
    ]),
    ["2024-01-02 00:00:00|6|True", "2024-01-05|2024-02-29", "text"],
  );
});
