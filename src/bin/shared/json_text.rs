//! JSON text written by hand (the commands carry no serialisation
//! library): strings, and byte strings that stay lossless when they are
//! not UTF-8 — the string holds the bytes decoded with U+FFFD where they
//! are not UTF-8 (readable, not exact), and a second field, `KEY_bytes`,
//! the exact bytes as an array of numbers, present only when the string is
//! not exact.

use std::io::Write;

/// Appends `text` as a JSON string (quotes included), escaping `"`, `\`
/// and control characters; `text` must be UTF-8.
pub fn string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a Vec cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let mut utf8 = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Appends `"key":"…"` for `bytes`, and `,"key_bytes":[…]` when they are
/// not UTF-8.
pub fn bytes_field(key: &str, bytes: &[u8], out: &mut Vec<u8>) {
    let _ = write!(out, "\"{key}\":");
    match std::str::from_utf8(bytes) {
        Ok(text) => string(text, out),
        Err(_) => {
            string(&String::from_utf8_lossy(bytes), out);
            let _ = write!(out, ",\"{key}_bytes\":[");
            for (i, b) in bytes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{b}");
            }
            out.push(b']');
        }
    }
}
