//! The allocator sanso's processes run on: jemalloc, for Rust's allocations and, since it
//! takes over `malloc` itself, for the C libraries underneath (zstd, librdkafka).
//!
//! A query allocates and frees column buffers, hash tables and batches for every batch it
//! reads, on every thread of its runtime. On glibc's `malloc`, allocating, freeing and
//! consolidating free blocks were about a sixth of the samples of the "success after
//! failures" self-join. On jemalloc most small investigation queries take 9–31 % less
//! time, the largest about the same, and ingest no more CPU or memory
//! (`benches/RESULTS.md`, "jemalloc as the allocator"). sanso's binaries declare
//! [`Jemalloc`] as their global allocator, and the query harness of the benches does the
//! same, so that it measures what `sanso` runs.
//!
//! jemalloc gives pages back to the kernel only after they have stayed free for some
//! seconds, so a query process finds what its last batch freed for the next one, and
//! `sanso run` still stays under its bound on resident memory.

pub use tikv_jemallocator::Jemalloc;

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    /// Bytes this thread has allocated so far, by jemalloc's count.
    fn allocated_by_this_thread() -> u64 {
        let name: &CStr = c"thread.allocated";
        let mut value = 0u64;
        let mut len = std::mem::size_of::<u64>();
        // SAFETY: `thread.allocated` is a `uint64_t`, read into a buffer of that size.
        let status = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&raw mut value).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0, "jemalloc refused to read thread.allocated");
        value
    }

    /// The C libraries call `malloc` by its plain name; linking sanso-query must make that
    /// jemalloc's, or their buffers would stay on glibc's arenas.
    #[test]
    fn c_malloc_is_served_by_jemalloc() {
        const BLOCK: usize = 1 << 20;
        let before = allocated_by_this_thread();
        // SAFETY: the block is only allocated and freed.
        unsafe {
            let block = libc::malloc(BLOCK);
            assert!(!block.is_null());
            let after = allocated_by_this_thread();
            libc::free(block);
            assert!(
                after >= before + BLOCK as u64,
                "a {BLOCK}-byte malloc did not reach jemalloc: {before} → {after} bytes allocated"
            );
        }
    }
}
