//! Running a credential helper executable (`databricks`, `az`) and parsing its timestamps.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};

/// How long a helper may run before it is killed.
pub(crate) const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// Finds `name` in the given `PATH` value (an explicit path containing a separator is used as
/// is when it exists).
pub(crate) fn find_executable(name: &str, path_var: Option<&str>) -> Option<PathBuf> {
    let direct = Path::new(name);
    if direct.components().count() > 1 {
        return direct.is_file().then(|| direct.to_path_buf());
    }
    let path_var = path_var?;
    std::env::split_paths(&OsString::from(path_var))
        .flat_map(|dir| {
            let mut candidates = vec![dir.join(name)];
            if cfg!(windows) {
                candidates.push(dir.join(format!("{name}.exe")));
                candidates.push(dir.join(format!("{name}.cmd")));
            }
            candidates
        })
        .find(|p| p.is_file())
}

/// The captured result of a helper run.
pub(crate) struct Output {
    pub(crate) success: bool,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
}

/// Runs `program args…` off the async runtime, killing it after `timeout`. `path_var` becomes
/// the child's `PATH` when given (so helpers find their own tools).
pub(crate) async fn run(
    auth_type: &'static str,
    program: PathBuf,
    args: Vec<String>,
    path_var: Option<String>,
    timeout: Duration,
) -> Result<Output> {
    let label = program.display().to_string();
    let spawn_error = |e: std::io::Error| Error::Auth {
        auth_type: auth_type.to_owned(),
        message: format!("could not run `{label}`: {e}"),
        source: None,
    };
    let joined = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Output>> {
        let mut command = Command::new(&program);
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(path) = path_var {
            command.env("PATH", path);
        }
        let mut child = command.spawn()?;
        let deadline = Instant::now() + timeout;
        loop {
            if child.try_wait()?.is_some() {
                let out = child.wait_with_output()?;
                return Ok(Some(Output {
                    success: out.status.success(),
                    stdout: out.stdout,
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                }));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    })
    .await
    .map_err(|e| Error::Auth {
        auth_type: auth_type.to_owned(),
        message: format!("the credential helper task failed: {e}"),
        source: None,
    })?;
    match joined.map_err(spawn_error)? {
        Some(out) => Ok(out),
        None => Err(Error::Auth {
            auth_type: auth_type.to_owned(),
            message: format!(
                "`{}` did not finish within {} s",
                label_name(&label),
                timeout.as_secs()
            ),
            source: None,
        }),
    }
}

fn label_name(label: &str) -> &str {
    label.rsplit(['/', '\\']).next().unwrap_or(label)
}

/// Keeps the first line of a helper's stderr, without anything that looks like a token.
pub(crate) fn first_line(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let cleaned: Vec<&str> = line
        .split_whitespace()
        .map(|w| {
            // A long unbroken word could be a token echoed back; never repeat it.
            if w.len() > 40 && !w.contains('/') {
                "[…]"
            } else {
                w
            }
        })
        .collect();
    let mut out = cleaned.join(" ");
    if out.len() > 300 {
        let mut cut = 300;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Parses an RFC 3339 timestamp (`2024-03-20T10:21:58.123456+01:00`, `…Z`; a space may
/// separate date and time).
pub(crate) fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let bytes = s.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut padded: String = frac[..digits.min(9)].to_owned();
        while padded.len() < 9 {
            padded.push('0');
        }
        nanos = padded.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset_secs: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = &rest[1..];
            let (h, m) = hm.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(s: &str) -> u64 {
        parse_rfc3339(s)
            .unwrap()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn rfc3339() {
        assert_eq!(epoch("1970-01-01T00:00:00Z"), 0);
        assert_eq!(epoch("2024-03-20T10:21:58Z"), 1_710_930_118);
        assert_eq!(epoch("2024-03-20T11:21:58.123456+01:00"), 1_710_930_118);
        assert_eq!(epoch("2024-03-20 05:21:58-05:00"), 1_710_930_118);
        assert_eq!(epoch("2000-02-29T00:00:00Z"), 951_782_400);
        for bad in [
            "",
            "2024-03-20",
            "2024-13-01T00:00:00Z",
            "2024-03-20T10:21:58",
            "x",
        ] {
            assert!(parse_rfc3339(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn stderr_summary_drops_long_words() {
        let line = first_line(
            "\n  Error: token eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9abcdefghijkl rejected\nmore",
        );
        assert_eq!(line, "Error: token […] rejected");
    }
}
