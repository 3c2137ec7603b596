-- Text cleaning shared by the staging models. Each macro takes raw text
-- (as landed) and returns a clean value, or NULL when nothing valid is left.

-- Trims spaces and non-breaking spaces (U+00A0) at both ends; empty becomes NULL.
create or replace macro clean_text(t) as
    nullif(regexp_replace(t::varchar, '^[\s\x{00A0}]+|[\s\x{00A0}]+$', '', 'g'), '');

-- A date whose year was written with four digits, else NULL. strptime's %Y
-- reads one to four digits (1/1/21 is year 21, 0021-01-01 too), so a year
-- before 1000 is a year written short, or a typo: never a delivered date.
create or replace macro four_digit_year(d) as
    case when year(d) >= 1000 then d end;

-- Dates as deliveries write them: 2023-10-31, 2023-10-31 00:00:00, 10/31/2023,
-- 1/1/2021, 12/31/2023 0:00 and 12/31/2023 0:00:00 (what Excel writes for a
-- date when it saves a CSV), October 31, 2023, always with a four-digit year.
-- A time after the date is read and dropped: the day is the date's (also when
-- it is not midnight). Impossible dates (11/31/2023) and years of fewer than
-- four digits or before 1000 (1/1/21, April 4, 03, 0021-01-01) give NULL: a
-- two-digit year is not guessed.
create or replace macro parse_date_any(t) as
    four_digit_year(
        try_strptime(
            clean_text(t),
            [
                '%Y-%m-%d %H:%M:%S', '%Y-%m-%d', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y',
                '%B %d, %Y', '%b %d, %Y'
            ]
        )::date
    );

-- ZIP codes: 5 digits, or ZIP+4 as 12345-6789; 3 or 4 digits are a ZIP that
-- lost its leading zeros (2130 -> 02130), in a ZIP+4 too (2130-1234 ->
-- 02130-1234: with its dash, so the +4 part is plain). Anything else gives
-- NULL. Whether the five digits are a US ZIP code is the models' check.
create or replace macro normalize_zip(z) as (
    case
        when regexp_full_match(clean_text(z), '\d{5}') then clean_text(z)
        when regexp_full_match(clean_text(z), '\d{5}-?\d{4}')
            then left(clean_text(z), 5) || '-' || right(clean_text(z), 4)
        when regexp_full_match(clean_text(z), '\d{3,4}') then lpad(clean_text(z), 5, '0')
        when regexp_full_match(clean_text(z), '\d{3,4}-\d{4}')
            then lpad(split_part(clean_text(z), '-', 1), 5, '0') || '-' || right(clean_text(z), 4)
    end
);

-- US phone numbers: exactly 10 digits once spaces, dashes, dots and
-- parentheses are removed; anything else (letters, 11 digits) gives NULL.
create or replace macro normalize_phone(p) as (
    case
        when regexp_full_match(regexp_replace(clean_text(p), '[\s\-\.\(\)]', '', 'g'), '\d{10}')
            then regexp_replace(clean_text(p), '[\s\-\.\(\)]', '', 'g')
    end
);

-- Money as spreadsheets write it, as a plain number: a dollar sign after
-- the sign ($20.00, -$5) and US thousands separators in groups of three
-- (1,234.56, $1,234,567) are dropped; anything else is left as it is (then
-- no number: 1,23 and 1.234,56 are not guessed).
create or replace macro money_text(amount) as (
    case
        when regexp_full_match(clean_text(amount), '[+-]?\$?(\d{1,3}(,\d{3})+|\d*)(\.\d*)?')
            then replace(replace(clean_text(amount), '$', ''), ',', '')
        else clean_text(amount)
    end
);

-- Money as text (dollars) to integer cents, exactly: NULL when it is not a
-- number, or when it holds fractions of a cent (1.234 is not rounded to 1.23;
-- 1.230 is 123 cents). $20.00 and 1,234.56 are numbers (money_text).
create or replace macro to_cents(amount) as (
    case
        when regexp_full_match(money_text(amount), '[+-]?(\d+\.?|\d*\.\d{1,2})0*')
            then cast(try_cast(money_text(amount) as decimal(38, 4)) * 100 as bigint)
    end
);

-- True for a number with fractions of a cent (1.234, $0.001), which to_cents
-- leaves NULL rather than rounding it; false for anything else (NULL too).
create or replace macro has_sub_cents(amount) as
    coalesce(
        regexp_full_match(money_text(amount), '[+-]?\d*\.\d{3,}')
        and not regexp_full_match(money_text(amount), '[+-]?\d*\.\d{1,2}0*'),
        false
    );

-- A whole number as text (benefit figures, already in integer cents) to
-- BIGINT: NULL when it is not a number or has a fraction (12.5 is not rounded
-- to 13); 1200 and 1200.0 are 1200.
create or replace macro whole_number(t) as (
    case
        when regexp_full_match(clean_text(t), '[+-]?\d+(\.0*)?')
            then try_cast(try_cast(clean_text(t) as decimal(38, 4)) as bigint)
    end
);

-- "mary-ann SMITH" -> "Mary-Ann Smith", "O'NEIL" -> "O'Neil": the first
-- letter of each word (of each part of a hyphenated word, and after a
-- one-letter prefix with an apostrophe) upper case, the rest lower case.
-- The apostrophe may be the typewriter one ('), the typographic one (U+2019,
-- what Windows-1252's 0x92 is) or the modifier letter (U+02BC), and is kept
-- as delivered: O’BRIEN -> O’Brien.
create or replace macro proper_case(t) as
    array_to_string(
        list_transform(
            string_split(lower(clean_text(t)), ' '),
            w -> array_to_string(
                list_transform(
                    string_split(w, '-'),
                    p -> case
                        when regexp_matches(p, '^\pL[''\x{2019}\x{02BC}]\pL')
                            then upper(left(p, 1)) || substr(p, 2, 1) || upper(substr(p, 3, 1)) || substr(p, 4)
                        else upper(left(p, 1)) || substr(p, 2)
                    end
                ),
                '-'
            )
        ),
        ' '
    );

-- Names and places as delivered, trimmed; re-cased (proper_case) only when
-- delivered all upper or all lower case: MacLeod, O'Neil, McDonald and
-- van der Berg are kept as they are.
create or replace macro name_case(t) as (
    case
        when clean_text(t) = upper(clean_text(t)) or clean_text(t) = lower(clean_text(t))
            then proper_case(t)
        else clean_text(t)
    end
);

-- An instant as TIMESTAMPTZ: a TIMESTAMP (or text) without a zone is UTC, as
-- the delivery times in file names are; a TIMESTAMPTZ stays as it is.
create or replace macro utc_instant(ts) as (
    case
        when typeof(ts) = 'TIMESTAMP WITH TIME ZONE' then ts::timestamptz
        else timezone('UTC', ts::timestamp)
    end
);

-- Registry epochs: seconds (older responses, integers) or milliseconds (newer, strings).
create or replace macro epoch_to_timestamp(e) as (
    case
        when try_cast(e as bigint) > 100000000000 then to_timestamp(try_cast(e as bigint) / 1000)
        else to_timestamp(try_cast(e as bigint))
    end
);
