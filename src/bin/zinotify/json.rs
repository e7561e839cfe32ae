//! `--json`: one JSON object per line (JSON Lines), written by hand (the
//! command carries no serialisation library).
//!
//! An event:
//!
//! ```text
//! {"kind":"event","watch":"d/","name":"a b","path":"d/a b","events":["CREATE"],"cookie":0,"time_ns":1764670450123456789,"is_dir":false,"synthetic":false}
//! ```
//!
//! - `watch`, `name`, `path` are inotifywait's `%w`, `%f` and `%w%f`.
//! - `events`: inotifywait's names, in its order (`CLOSE_WRITE`, `CLOSE`).
//! - `cookie`: pairs `MOVED_FROM` with `MOVED_TO`; 0 for other events.
//! - `time_ns`: when the command handled the event, nanoseconds since the
//!   Unix epoch (UTC), an integer (exact in any JSON parser with 64-bit
//!   integers).
//! - `is_dir`: the kernel's `IN_ISDIR`.
//! - `synthetic`: `true` for a `CREATE` found by listing a new directory
//!   (`-r`), not read from the kernel.
//!
//! Markers are their own objects: `{"kind":"overflow","time_ns":…}` when
//! the kernel's queue overflowed (events were lost) and
//! `{"kind":"rescan","time_ns":…}` when the tree was read again.
//!
//! **Names that are not UTF-8** stay lossless: the string field holds the
//! bytes decoded with U+FFFD for what is not UTF-8 (readable, not exact),
//! and a second field, `watch_bytes`, `name_bytes` or `path_bytes`, holds
//! the exact bytes as an array of numbers. The `*_bytes` field is present
//! only when the string is not exact, so a consumer takes `*_bytes` when
//! it is there and the string otherwise.

use crate::format::{Line, unknown_mask};
use crate::json_text::bytes_field;
use std::io::Write;
use std::time::SystemTime;
use zinotify::EventMask;

/// Nanoseconds since the Unix epoch, now (0 for a clock set before 1970).
pub fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Appends one event's object and its newline. A queue overflow becomes
/// an `overflow` marker.
pub fn event(line: &Line<'_>, time_ns: u128, out: &mut Vec<u8>) {
    if line.mask.contains(EventMask::Q_OVERFLOW) {
        return marker("overflow", time_ns, out);
    }
    out.extend_from_slice(b"{\"kind\":\"event\",");
    bytes_field("watch", line.watch, out);
    out.push(b',');
    bytes_field("name", line.name, out);
    out.push(b',');
    let mut path = Vec::with_capacity(line.watch.len() + line.name.len());
    path.extend_from_slice(line.watch);
    path.extend_from_slice(line.name);
    bytes_field("path", &path, out);
    out.extend_from_slice(b",\"events\":[");
    // Event names are plain upper-case ASCII: no escaping needed.
    let mut any = false;
    for name in line.mask.inotifywait_names() {
        if any {
            out.push(b',');
        }
        any = true;
        let _ = write!(out, "\"{name}\"");
    }
    if !any {
        out.push(b'"');
        unknown_mask(line.mask, out);
        out.push(b'"');
    }
    let _ = writeln!(
        out,
        "],\"cookie\":{},\"time_ns\":{time_ns},\"is_dir\":{},\"synthetic\":{}}}",
        line.cookie,
        line.mask.contains(EventMask::ISDIR),
        line.synthetic
    );
}

/// Appends a marker object (`overflow`, `rescan`) and its newline.
pub fn marker(kind: &str, time_ns: u128, out: &mut Vec<u8>) {
    let _ = writeln!(out, "{{\"kind\":\"{kind}\",\"time_ns\":{time_ns}}}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(watch: &'static [u8], name: &'static [u8], mask: EventMask) -> Line<'static> {
        Line {
            watch,
            name,
            mask,
            cookie: 7,
            synthetic: true,
        }
    }

    #[test]
    fn an_event_is_one_object_on_one_line() {
        let mut out = Vec::new();
        event(
            &line(
                b"d/",
                b"q\"\\\n\x01",
                EventMask::CLOSE_WRITE | EventMask::ISDIR,
            ),
            12,
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"kind\":\"event\",\"watch\":\"d/\",\"name\":\"q\\\"\\\\\\n\\u0001\",\
             \"path\":\"d/q\\\"\\\\\\n\\u0001\",\"events\":[\"CLOSE_WRITE\",\"CLOSE\",\"ISDIR\"],\
             \"cookie\":7,\"time_ns\":12,\"is_dir\":true,\"synthetic\":true}\n"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_get_a_bytes_field() {
        let mut out = Vec::new();
        event(&line(b"d/", b"a\xff", EventMask::CREATE), 1, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\"name\":\"a\u{fffd}\",\"name_bytes\":[97,255]"),
            "{text}"
        );
        assert!(text.contains("\"path_bytes\":[100,47,97,255]"), "{text}");
        assert!(!text.contains("watch_bytes"), "{text}");
    }

    #[test]
    fn overflow_is_a_marker() {
        let mut out = Vec::new();
        event(&line(b"", b"", EventMask::Q_OVERFLOW), 5, &mut out);
        marker("rescan", 6, &mut out);
        assert_eq!(
            out,
            b"{\"kind\":\"overflow\",\"time_ns\":5}\n{\"kind\":\"rescan\",\"time_ns\":6}\n"
        );
    }
}
