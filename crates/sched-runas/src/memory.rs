//! Giving freed memory back to the system.
//!
//! Loading a large crontab parses every line into owned strings that are
//! dropped once the compact entries are built. glibc's allocator keeps
//! such freed small chunks inside its heap, where they still count in the
//! daemon's resident size, unless asked to release them.

/// Returns the allocator's free pages to the system (glibc's
/// `malloc_trim`); does nothing with another C library.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under
    // its own locks; it takes no pointer from us and is safe to call from
    // any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
