//! `%T`'s clock: `time`, `localtime_r` and `strftime` from the C library
//! std already links, as inotifywait's `%T` does: local time zone (`TZ`,
//! `/etc/localtime`), every conversion the C library knows, no time-zone
//! database in the binary. With the shared `regex` and `signals` modules,
//! the command's only `unsafe`; the library itself stays
//! `#![forbid(unsafe_code)]` and libc-free.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::mem::MaybeUninit;

/// Appends the current local time formatted by `strftime(fmt)` to `out`.
/// Like inotifywait, output longer than 4 KiB is not produced (the
/// conversion then yields nothing).
pub fn format_local_time(fmt: &CStr, out: &mut Vec<u8>) {
    let mut buf = [0u8; 4096];
    // SAFETY: `time(NULL)` only returns the time; localtime_r fills the
    // `tm` we own (and reads TZ once); strftime writes at most `buf.len()`
    // bytes into `buf` and returns how many, without the NUL.
    let len = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm = MaybeUninit::<libc::tm>::zeroed();
        if libc::localtime_r(&now, tm.as_mut_ptr()).is_null() {
            return;
        }
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            fmt.as_ptr(),
            tm.as_ptr(),
        )
    };
    out.extend_from_slice(&buf[..len.min(buf.len())]);
}
