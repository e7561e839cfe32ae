//! What both commands share: the entry point, option scanning, the path
//! lists and `@` pruning, regular expressions and path filters, signals,
//! waiting, JSON text. Each command includes this module once, as
//! `shared`, and brings its parts into its root with one `use`.

#[cfg(not(test))]
pub mod entry;
pub mod getopt;
pub mod json_text;
pub mod path_filter;
pub mod paths;
pub mod prune;
pub mod regex;
pub mod signals;
pub mod wait;
