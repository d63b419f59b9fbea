//! Giving memory back to the system once a large read is over. A sync of a big site frees
//! tens of megabytes of short-lived parsing buffers; glibc keeps such freed memory in the
//! process, so the operator would hold its peak between syncs and the next sync's data
//! would be laid over the fragments. Trimming after each read keeps the resident size close
//! to what the sync still holds.

/// Returns freed heap memory to the system where the C library allows it.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no
    // preconditions and leaves every live allocation where it is.
    unsafe {
        libc::malloc_trim(0);
    }
}
