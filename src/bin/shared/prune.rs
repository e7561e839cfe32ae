//! Which directories `-r` leaves unwatched: the `@path` exclusions (as
//! inotifywait: that directory and everything below it) and `--prune` /
//! `--prunei` (a directory whose full path matches). Decided before a
//! directory is watched, at set-up and when one appears later, so a pruned
//! subtree costs no kernel watch at all.

use super::path_filter::{Mode, PathFilter};

/// The veto handed to the tree ([`zinotify::InotifyTrees::set_dir_filter`]).
pub struct Prune {
    /// `@path`s, without trailing slashes.
    exclude: Vec<Vec<u8>>,
    /// `--prune`: an exclude filter on the directory's path.
    regex: Option<PathFilter>,
}

impl Prune {
    /// Prunes the `@path`s of `exclude` and, with `regex` (pattern, ignore
    /// case), the directories whose path matches it; the error is the C
    /// library's message about the pattern.
    pub fn new(exclude: &[Vec<u8>], regex: Option<&(Vec<u8>, bool)>) -> Result<Self, String> {
        let exclude = exclude
            .iter()
            .map(|path| {
                let mut path = path.as_slice();
                while path.len() > 1 && path.ends_with(b"/") {
                    path = &path[..path.len() - 1];
                }
                path.to_vec()
            })
            .collect();
        let regex = regex
            .map(|(pattern, ignore_case)| PathFilter::new(pattern, *ignore_case, Mode::Exclude))
            .transpose()?;
        Ok(Self { exclude, regex })
    }

    /// Whether nothing is pruned (the tree then needs no filter).
    pub fn is_empty(&self) -> bool {
        self.exclude.is_empty() && self.regex.is_none()
    }

    /// Whether the directory at `path` (no trailing slash) is to be watched.
    pub fn watches(&mut self, path: &[u8]) -> bool {
        if self.exclude.iter().any(|e| e == path) {
            return false;
        }
        match &mut self.regex {
            Some(regex) => regex.passes(path, b""),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_paths_match_exactly_and_the_regex_anywhere() {
        let pattern = (b"(^|/)node_modules$".to_vec(), false);
        let mut prune = Prune::new(&[b"r/skip/".to_vec()], Some(&pattern)).unwrap();
        assert!(!prune.watches(b"r/skip"));
        assert!(prune.watches(b"r/skipped"));
        assert!(!prune.watches(b"r/a/node_modules"));
        assert!(prune.watches(b"r/a/node_modules_x"));
        let ignore_case = (b"^r/TARGET$".to_vec(), true);
        assert!(
            !Prune::new(&[], Some(&ignore_case))
                .unwrap()
                .watches(b"r/target")
        );
        assert!(Prune::new(&[], None).unwrap().is_empty());
        assert!(Prune::new(&[], Some(&(b"(".to_vec(), false))).is_err());
    }
}
