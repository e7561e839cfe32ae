//! The command line as GNU `getopt_long` parses it for inotify-tools'
//! commands: options and paths in any order, `--` ends the options,
//! bundled short options (`-mrq`, `-qq`, `-t5`), `--opt=value` or
//! `--opt value`, and long options abbreviated to any unique prefix.
//!
//! Arguments are `OsString`s throughout: a path need not be UTF-8. Each
//! command has its own option tables and decides what an option means.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// Long options: name, option, whether it takes a value.
pub type Long<O> = [(&'static str, O, bool)];
/// Short options: letter, option, whether it takes a value.
pub type Short<O> = [(u8, O, bool)];

/// Finds a long option by exact name or unique prefix.
fn find_long<O: Copy>(long: &Long<O>, name: &[u8]) -> Result<(O, bool), String> {
    if let Some(&(_, opt, value)) = long.iter().find(|(n, ..)| n.as_bytes() == name) {
        return Ok((opt, value));
    }
    let mut matches = long
        .iter()
        .filter(|(n, ..)| !name.is_empty() && n.as_bytes().starts_with(name));
    let shown = String::from_utf8_lossy(name);
    match (matches.next(), matches.next()) {
        (Some(&(_, opt, value)), None) => Ok((opt, value)),
        (Some(_), Some(_)) => Err(format!("option '--{shown}' is ambiguous")),
        _ => Err(format!("unrecognized option '--{shown}'")),
    }
}

/// Hands each option (with its value, if it takes one) to `set`, in the
/// order given, and returns the other arguments: the paths. The error is
/// getopt's message (or `set`'s).
pub fn scan<O: Copy>(
    args: impl IntoIterator<Item = OsString>,
    long: &Long<O>,
    short: &Short<O>,
    set: &mut dyn FnMut(O, Option<OsString>) -> Result<(), String>,
) -> Result<Vec<OsString>, String> {
    let mut paths = Vec::new();
    let mut args = args.into_iter();
    let mut only_paths = false;
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        if only_paths || bytes.len() < 2 || bytes[0] != b'-' {
            paths.push(arg);
        } else if bytes == b"--" {
            only_paths = true;
        } else if let Some(name) = bytes.strip_prefix(b"--") {
            long_option(name, &mut args, long, set)?;
        } else {
            short_options(&bytes[1..], &mut args, short, set)?;
        }
    }
    Ok(paths)
}

/// One `--name` or `--name=value`; a value not inline is the next argument.
fn long_option<O: Copy>(
    name: &[u8],
    args: &mut dyn Iterator<Item = OsString>,
    long: &Long<O>,
    set: &mut dyn FnMut(O, Option<OsString>) -> Result<(), String>,
) -> Result<(), String> {
    let (name, inline) = match name.iter().position(|&b| b == b'=') {
        Some(eq) => (
            &name[..eq],
            Some(OsStr::from_bytes(&name[eq + 1..]).to_owned()),
        ),
        None => (name, None),
    };
    let (opt, takes_value) = find_long(long, name)?;
    let shown = String::from_utf8_lossy(name);
    let value = match (takes_value, inline) {
        (true, Some(v)) => Some(v),
        (true, None) => Some(
            args.next()
                .ok_or_else(|| format!("option '--{shown}' requires an argument"))?,
        ),
        (false, Some(_)) => {
            return Err(format!("option '--{shown}' doesn't allow an argument"));
        }
        (false, None) => None,
    };
    set(opt, value)
}

/// A cluster of short options (`-mr`, `-t5`, `-t 5`): letters after the
/// `-`; the first that takes a value takes the rest of the cluster, or the
/// next argument.
fn short_options<O: Copy>(
    letters: &[u8],
    args: &mut dyn Iterator<Item = OsString>,
    short: &Short<O>,
    set: &mut dyn FnMut(O, Option<OsString>) -> Result<(), String>,
) -> Result<(), String> {
    for (i, &letter) in letters.iter().enumerate() {
        let &(_, opt, takes_value) = short
            .iter()
            .find(|(l, ..)| *l == letter)
            .ok_or_else(|| format!("invalid option -- '{}'", char::from(letter)))?;
        if !takes_value {
            set(opt, None)?;
            continue;
        }
        let value = if i + 1 < letters.len() {
            OsStr::from_bytes(&letters[i + 1..]).to_owned()
        } else {
            args.next()
                .ok_or_else(|| format!("option requires an argument -- '{}'", char::from(letter)))?
        };
        return set(opt, Some(value));
    }
    Ok(())
}
