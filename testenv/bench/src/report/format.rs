//! How numbers read in the report: seconds to three significant figures, MiB, counts with
//! thousands separators, ratios.

use std::time::Duration;

/// `0.421 s`, `6.91 s`, `55.2 s`, `563 s`.
pub fn seconds(duration: Duration) -> String {
    let s = duration.as_secs_f64();
    if s < 1.0 {
        format!("{s:.3} s")
    } else if s < 10.0 {
        format!("{s:.2} s")
    } else if s < 100.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.0} s")
    }
}

/// `12.3 ms` below a second, else as `seconds`.
pub fn short(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    } else {
        seconds(duration)
    }
}

/// `48.1 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// `100,003`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `8.0×`, or `-` when the denominator is zero.
pub fn times(numerator: f64, denominator: f64) -> String {
    if denominator <= 0.0 {
        return "-".to_owned();
    }
    format!("{:.1}×", numerator / denominator)
}

/// `1.07`, or `-` without a value.
pub fn ratio(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| format!("{v:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_the_report_prints_them() {
        assert_eq!(seconds(Duration::from_millis(421)), "0.421 s");
        assert_eq!(seconds(Duration::from_millis(6_914)), "6.91 s");
        assert_eq!(seconds(Duration::from_millis(55_240)), "55.2 s");
        assert_eq!(seconds(Duration::from_millis(563_400)), "563 s");
        assert_eq!(short(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(mib(50_436_096), "48.1 MiB");
        assert_eq!(count(100_003), "100,003");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(times(55.2, 6.9), "8.0×");
        assert_eq!(times(1.0, 0.0), "-");
        assert_eq!(ratio(Some(1.066)), "1.07");
    }
}
