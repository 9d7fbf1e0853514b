//! Civil time in log lines: dates and clocks to Unix seconds, by hand.
//!
//! Dates are proleptic Gregorian. [`days_from_civil`] counts days from 1970-01-01 by treating
//! March as the first month of a year, so that the leap day is the last day of its year and
//! every year is a whole number of days from the start of its 400-year era (146 097 days).
//! Every parser here checks ranges (month 1–12, day within its month, hour < 24, minute < 60,
//! second ≤ 60) and returns `None` instead of guessing.

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// A year without one in its line may be at most this far in the future of `now`.
pub const FUTURE_SLACK: i64 = DAY;

/// A calendar date and wall-clock time, not yet checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
}

impl Civil {
    /// Whether every field is in range (a leap second, `:60`, is accepted).
    pub fn valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.min < 60
            && self.sec <= 60
            && (0..=9999).contains(&self.year)
    }

    /// Unix seconds, reading the fields as UTC. Only meaningful when [`Civil::valid`].
    pub fn unix(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.min) * 60
            + i64::from(self.sec)
    }

    /// Unix seconds when valid.
    pub fn checked_unix(&self) -> Option<i64> {
        self.valid().then(|| self.unix())
    }
}

pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to `year-month-day` (month 1–12; not validated).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Years start on March 1st: January and February belong to the year before.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let march_based = i64::from((month + 9) % 12);
    let day_of_year = (153 * march_based + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719 468 days lie between 0000-03-01 and 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The (UTC) calendar year that Unix second `t` falls in.
pub fn year_of(t: i64) -> i64 {
    let days = t.div_euclid(DAY);
    // An estimate within one year of the truth, corrected by at most one step each way.
    let mut y = 1970 + (days * 400).div_euclid(146_097);
    if days < days_from_civil(y, 1, 1) {
        y -= 1;
    } else if days >= days_from_civil(y + 1, 1, 1) {
        y += 1;
    }
    y
}

/// A date without a year (RFC 3164, dropbear): the latest of next, this or last year (of
/// `now`) that is no more than [`FUTURE_SLACK`] ahead of `now`. `None` if no such date exists
/// (February 29th outside the leap years around `now`, or bad fields).
pub fn infer_year(mut c: Civil, now: i64) -> Option<i64> {
    let this = year_of(now);
    for year in [this + 1, this, this - 1] {
        c.year = year;
        if let Some(t) = c.checked_unix() {
            if t <= now.saturating_add(FUTURE_SLACK) {
                return Some(t);
            }
        }
    }
    None
}

/// Three bytes as one number, for matching names with one comparison each.
const fn tri(b: &[u8; 3]) -> u32 {
    (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32
}

fn tri_at(b: &[u8]) -> Option<u32> {
    match b {
        [x, y, z, ..] => Some(tri(&[*x, *y, *z])),
        _ => None,
    }
}

/// `Jan`…`Dec` at the start of `b` to 1–12.
pub fn month(b: &[u8]) -> Option<u32> {
    const JAN: u32 = tri(b"Jan");
    const FEB: u32 = tri(b"Feb");
    const MAR: u32 = tri(b"Mar");
    const APR: u32 = tri(b"Apr");
    const MAY: u32 = tri(b"May");
    const JUN: u32 = tri(b"Jun");
    const JUL: u32 = tri(b"Jul");
    const AUG: u32 = tri(b"Aug");
    const SEP: u32 = tri(b"Sep");
    const OCT: u32 = tri(b"Oct");
    const NOV: u32 = tri(b"Nov");
    const DEC: u32 = tri(b"Dec");
    let m = match tri_at(b)? {
        JAN => 1,
        FEB => 2,
        MAR => 3,
        APR => 4,
        MAY => 5,
        JUN => 6,
        JUL => 7,
        AUG => 8,
        SEP => 9,
        OCT => 10,
        NOV => 11,
        DEC => 12,
        _ => return None,
    };
    Some(m)
}

/// `Mon`…`Sun` at the start of `b`.
pub fn is_weekday(b: &[u8]) -> bool {
    const DAYS: [u32; 7] = [
        tri(b"Mon"),
        tri(b"Tue"),
        tri(b"Wed"),
        tri(b"Thu"),
        tri(b"Fri"),
        tri(b"Sat"),
        tri(b"Sun"),
    ];
    tri_at(b).is_some_and(|t| DAYS.contains(&t))
}

/// Exactly `b.len()` ASCII digits (at most 18) as a number.
pub fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Some(n)
}

fn two(b: &[u8], at: usize) -> Option<u32> {
    let (h, l) = (*b.get(at)?, *b.get(at + 1)?);
    if h.is_ascii_digit() && l.is_ascii_digit() {
        Some(u32::from(h - b'0') * 10 + u32::from(l - b'0'))
    } else {
        None
    }
}

/// A day of month in two columns: ` 5`, `05` or `15`.
pub fn padded_day(b: &[u8], at: usize) -> Option<u32> {
    match b.get(at)? {
        b' ' => {
            let d = *b.get(at + 1)?;
            d.is_ascii_digit().then(|| u32::from(d - b'0'))
        }
        _ => two(b, at),
    }
}

/// `hh:mm:ss` at `at` into `c` (ranges are checked later by [`Civil::valid`]).
pub fn clock(b: &[u8], at: usize, c: &mut Civil) -> Option<()> {
    let t: &[u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    let d = |i: usize| t[i].wrapping_sub(b'0');
    let all_digits = [0, 1, 3, 4, 6, 7].iter().fold(true, |ok, &i| ok & (d(i) < 10));
    if !all_digits || t[2] != b':' || t[5] != b':' {
        return None;
    }
    let pair = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    c.hour = pair(0);
    c.min = pair(3);
    c.sec = pair(6);
    Some(())
}

/// `Mmm dd hh:mm:ss` (day space-, zero- or not padded) at the start of `b`: the date without a
/// year, and its length (15).
pub fn month_day_clock(b: &[u8]) -> Option<(Civil, usize)> {
    let mut c = Civil {
        year: 0,
        month: month(b)?,
        day: 0,
        hour: 0,
        min: 0,
        sec: 0,
    };
    if b.get(3) != Some(&b' ') {
        return None;
    }
    // Some loggers write the day unpadded: `Feb 6 12:02:29`.
    if b.get(5) == Some(&b' ') {
        let d = *b.get(4)?;
        c.day = d.is_ascii_digit().then(|| u32::from(d - b'0'))?;
        clock(b, 6, &mut c)?;
        return Some((c, 14));
    }
    if b.get(6) != Some(&b' ') {
        return None;
    }
    c.day = padded_day(b, 4)?;
    clock(b, 7, &mut c)?;
    Some((c, 15))
}

/// RFC 3339 (`2026-11-24T10:00:01.003Z`, `…+01:00`, fraction and offset optional; an absent
/// offset reads as UTC) at the start of `b`: Unix seconds and the length.
pub fn rfc3339(b: &[u8]) -> Option<(i64, usize)> {
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    let mut c = Civil {
        year: i64::try_from(digits(b.get(..4)?)?).ok()?,
        month: two(b, 5)?,
        day: two(b, 8)?,
        hour: 0,
        min: 0,
        sec: 0,
    };
    clock(b, 11, &mut c)?;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let frac = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if frac == 0 || frac > 9 {
            return None;
        }
        i += 1 + frac;
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            let (h, m) = (two(b, i + 1)?, two(b, i + 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            i += 6;
            let s = i64::from(h * 3600 + m * 60);
            if sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => 0,
    };
    Some((c.checked_unix()? - offset, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1) * DAY, 951_868_800);
        // Walk 800 years day by day: consecutive dates are consecutive days.
        let mut expect = days_from_civil(1800, 1, 1);
        for y in 1800..2600 {
            assert_eq!(year_of(expect * DAY), y);
            assert_eq!(year_of(expect * DAY - 1), y - 1);
            for m in 1..=12 {
                for d in 1..=days_in_month(y, m) {
                    assert_eq!(days_from_civil(y, m, d), expect, "{y}-{m}-{d}");
                    expect += 1;
                }
            }
        }
    }
}
