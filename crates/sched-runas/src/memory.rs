//! The allocator's use of memory: large blocks in mappings of their own,
//! and freed memory given back to the system.
//!
//! Loading a large crontab parses a file's lines into owned strings that
//! are dropped once the compact entries are built, while the table's
//! vectors grow a file at a time. glibc's allocator keeps freed small
//! chunks inside its heap, where they still count in the daemon's resident
//! size, unless asked to release them; and its threshold for giving a
//! large block a mapping of its own rises to the size of the largest block
//! freed, after which a growing multi-megabyte vector is copied within the
//! heap (old and new both resident) instead of being moved by `mremap`.

/// The size from which a block gets a mapping of its own: glibc's initial
/// threshold, kept fixed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Keeps blocks of 128 KiB and more in mappings of their own, whatever was
/// freed before (glibc's `mallopt(M_MMAP_THRESHOLD)`, which turns its
/// moving threshold off): a vector that grows is moved by the kernel, not
/// copied, and a large block freed is returned at once. Does nothing with
/// another C library. Called once, early in `main`.
pub fn keep_large_blocks_mapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt changes a setting of the allocator under its own
    // lock; it takes no pointer and is safe to call from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

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
