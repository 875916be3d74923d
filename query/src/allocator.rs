//! How a process that only answers queries asks the C allocator to keep the memory its
//! queries free, so that the next batch reuses it instead of asking the kernel again.
//!
//! glibc's `malloc` hands out blocks of 128 KiB and more as fresh `mmap`s (a threshold it
//! raises as such blocks are freed, up to 32 MiB) and gives the top of its heaps back to
//! the kernel once more than 128 KiB lies free there. A query allocates and frees column
//! buffers, hash tables and batches of megabytes for every batch it reads, so each of them
//! is mapped, faulted in a page at a time, cleared and unmapped again: in the profile of
//! the "success after failures" self-join, allocating and freeing, with the page faults
//! and clearing that fresh mappings bring, are about a sixth of the samples. Raising both thresholds to [`KEPT_BYTES`] keeps those
//! blocks in the heap, where the next batch finds them (`benches/RESULTS.md` has the
//! figures).
//!
//! The cost is memory held after the peak: up to [`KEPT_BYTES`] free at the top of each of
//! the allocator's arenas. That suits `sanso sql`, `sanso shell` and `sanso hunt`, whose
//! work is queries. `sanso run` does not call it: its ingest works under a bound on resident
//! memory that held freed memory would eat into.

/// The largest block still taken from the heap, and the most free memory left at the top
/// of a heap before the allocator gives it back: larger than one query's buffers, smaller
/// than the 64 MiB that one of glibc's per-thread heaps can grow to.
pub const KEPT_BYTES: usize = 64 << 20;

/// Raises the allocator's `mmap` and trim thresholds to [`KEPT_BYTES`], for the whole
/// process. Returns whether the allocator took them: only glibc's does; elsewhere nothing
/// changes.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let kept = libc::c_int::try_from(KEPT_BYTES).expect("KEPT_BYTES fits a C int");
        // SAFETY: `mallopt` only sets the allocator's parameters; any value is allowed,
        // and glibc refuses (returns 0) those it cannot use.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, kept) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, kept) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Bytes in blocks that glibc mapped on their own, and bytes free inside its heaps.
    fn mapped_and_free() -> (usize, usize) {
        // SAFETY: `mallinfo2` only reads the allocator's counters.
        let info = unsafe { libc::mallinfo2() };
        (info.hblkhd, info.fordblks)
    }

    /// A block the size of a large column buffer: above glibc's own 32 MiB ceiling for
    /// its `mmap` threshold, so that without the setting it is always mapped on its own.
    const BLOCK: usize = 48 << 20;

    #[test]
    fn a_freed_buffer_stays_in_the_heap_for_the_next_one() {
        assert!(keep_freed_memory());
        let (mapped_before, _) = mapped_and_free();
        let block = std::hint::black_box(Vec::<u8>::with_capacity(BLOCK));
        let (mapped_with_block, _) = mapped_and_free();
        assert!(
            mapped_with_block < mapped_before + BLOCK,
            "a {BLOCK}-byte block was mapped on its own: {mapped_before} → {mapped_with_block} bytes mapped"
        );
        drop(block);
        let (_, free_after) = mapped_and_free();
        assert!(
            free_after >= BLOCK,
            "the freed block went back to the kernel: {free_after} bytes free in the heaps"
        );
    }
}
