//! Dates as the service writes them (`…SSSZ` in XML, `…SSS+0000` in JSON) and as SOQL and the
//! XSD date types read them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::formats::Format;

/// Date as XML (`…SSSZ`) or JSON (`…SSS+0000`) spells it.
pub(crate) fn format_date(t: SystemTime, format: Format) -> String {
    let (date, time) = date_parts(t);
    let zone = match format {
        Format::Xml => "Z",
        Format::Json => "+0000",
    };
    format!("{date}T{time}{zone}")
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`, the form stored for system date fields.
pub(crate) fn iso_date(t: SystemTime) -> String {
    format_date(t, Format::Xml)
}

fn date_parts(t: SystemTime) -> (String, String) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60,
            since.subsec_millis()
        ),
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of an SOQL/XSD date or dateTime: `yyyy-MM-dd`,
/// `yyyy-MM-ddTHH:mm:ss[.SSS](Z|±HH:mm|±HHmm)`.
pub(crate) fn parse_datetime_millis(s: &str) -> Option<i64> {
    if !s.is_ascii() {
        return None;
    }
    // At most four digits per component: no overflow further down.
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, rest) = match s.split_once('T') {
        Some((date, rest)) => (date, Some(rest)),
        None => (s, None),
    };
    let mut dparts = date.split('-');
    let (y, m, d) = (
        num(dparts.next()?)?,
        num(dparts.next()?)?,
        num(dparts.next()?)?,
    );
    if dparts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day_ms = days_from_civil(y, m, d) * 86_400_000;
    let Some(rest) = rest else {
        return Some(day_ms);
    };
    let (clock, offset_ms) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (clock, zone) = rest.split_at(pos);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits = zone[1..].replace(':', "");
        if digits.len() != 4 {
            return None;
        }
        let hours = num(&digits[..2])?;
        let minutes = num(&digits[2..])?;
        (clock, sign * (hours * 60 + minutes) * 60_000)
    } else {
        (rest, 0)
    };
    let (hms, millis) = match clock.split_once('.') {
        Some((hms, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => {
            let frac3: String = frac.chars().chain("000".chars()).take(3).collect();
            (hms, num(&frac3)?)
        }
        Some(_) => return None,
        None => (clock, 0),
    };
    let mut t = hms.split(':');
    let (h, mi, sec) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if t.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(day_ms + ((h * 60 + mi) * 60 + sec) * 1000 + millis - offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = UNIX_EPOCH + Duration::from_millis(1_450_215_705_123);
        assert_eq!(format_date(t, Format::Xml), "2015-12-15T21:41:45.123Z");
        assert_eq!(format_date(t, Format::Json), "2015-12-15T21:41:45.123+0000");
        assert_eq!(
            parse_datetime_millis("2015-12-15T21:41:45.123Z"),
            Some(1_450_215_705_123)
        );
        assert_eq!(
            parse_datetime_millis("2015-12-15T22:41:45.123+01:00"),
            Some(1_450_215_705_123)
        );
        assert_eq!(parse_datetime_millis("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_datetime_millis("Acme"), None);
        assert_eq!(parse_datetime_millis("2020-01-01T00:00:00+1\u{e9}2"), None);
        assert_eq!(parse_datetime_millis("99999999999999999-01-01"), None);
        assert_eq!(parse_datetime_millis("2020-01-01T00:00:00."), None);
    }
}
