//! The paths to watch and the `@path` exclusions, from `--fromfile` (first)
//! and the command line, as inotifywait gathers them.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;

/// What to watch, and which directories not to enter (`@path`; used by
/// `-r` only, as in inotifywait).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PathList {
    /// Paths to watch, in order, as raw bytes.
    pub watch: Vec<Vec<u8>>,
    /// Directories excluded from recursive watching, as raw bytes.
    pub exclude: Vec<Vec<u8>>,
}

impl PathList {
    /// Sorts one entry: `@path` excludes `path`; a lone `@` and an empty
    /// entry are skipped.
    fn push(&mut self, entry: &[u8]) {
        match entry {
            [] | [b'@'] => {}
            [b'@', rest @ ..] => self.exclude.push(rest.to_vec()),
            _ => self.watch.push(entry.to_vec()),
        }
    }

    /// Gathers the entries of `fromfile` (one per line; `-` is standard
    /// input), then the path arguments.
    pub fn gather(fromfile: Option<&OsString>, args: &[OsString]) -> Result<Self, String> {
        let mut list = Self::default();
        if let Some(file) = fromfile {
            let mut text = Vec::new();
            let read = if file.as_encoded_bytes() == b"-" {
                std::io::stdin().lock().read_to_end(&mut text)
            } else {
                std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut text))
            };
            read.map_err(|err| {
                format!(
                    "cannot read --fromfile \"{}\": {err}",
                    file.to_string_lossy()
                )
            })?;
            for line in text.split(|&b| b == b'\n') {
                list.push(line);
            }
        }
        for arg in args {
            list.push(&arg.clone().into_vec());
        }
        Ok(list)
    }
}

/// The path as inotify-tools show a watch (`%w`, the table's rows): a directory (not a symlink to one, as
/// inotifywait decides with `lstat`) gets a trailing `/`.
pub fn display_path(path: &[u8]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut shown = path.to_vec();
    let is_dir =
        std::fs::symlink_metadata(std::ffi::OsStr::from_bytes(path)).is_ok_and(|m| m.is_dir());
    if is_dir && !shown.ends_with(b"/") {
        shown.push(b'/');
    }
    shown
}

/// The roots given to `-r`, by (device, inode): a path named twice (`d`,
/// `d/`, `$PWD/d`) is watched once, under its first name, as by
/// inotify-tools.
#[derive(Debug, Default)]
pub struct Roots(Vec<(u64, u64)>);

impl Roots {
    /// Whether `path` (followed if a symlink) names a root not seen
    /// before; a path that cannot be read counts as new (adding it will
    /// say why it fails).
    pub fn first_time(&mut self, path: &[u8]) -> bool {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(std::ffi::OsStr::from_bytes(path)) else {
            return true;
        };
        let id = (meta.dev(), meta.ino());
        if self.0.contains(&id) {
            return false;
        }
        self.0.push(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fromfile_lines_come_first_and_at_signs_exclude() {
        let dir = std::env::temp_dir().join(format!("zinotify-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("list");
        std::fs::write(&file, b"a\n@a/skip\n\n@\nb with space\n").unwrap();
        let args = [
            OsString::from("c"),
            OsString::from("@c/x/"),
            OsString::from(""),
        ];
        let list = PathList::gather(Some(&file.into_os_string()), &args).unwrap();
        assert_eq!(list.watch, [&b"a"[..], b"b with space", b"c"]);
        assert_eq!(list.exclude, [&b"a/skip"[..], b"c/x/"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_fromfile_is_an_error_naming_it() {
        let err = PathList::gather(Some(&OsString::from("/nonexistent/list")), &[]).unwrap_err();
        assert!(
            err.contains("/nonexistent/list") && err.contains("No such file"),
            "{err}"
        );
    }
}
