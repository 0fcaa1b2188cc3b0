//! Parallel loops on candle's CPU worker threads, and borrowing a CPU
//! tensor's f32 storage for the kernels that read or write it in place.

/// Run `f(chunk_index, chunk)` over `chunk`-sized pieces of `data` on
/// candle's CPU thread pool. Our kernels share candle's threads rather
/// than rayon's: two pools on the same cores oversubscribe them, and
/// candle's idle workers spin while rayon's run.
pub fn for_each_chunk_mut<T: Send>(
    data: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    struct Shared<T>(*mut T);
    // SAFETY: every task below touches a disjoint range of `data`.
    unsafe impl<T: Send> Sync for Shared<T> {}
    let (len, chunk) = (data.len(), chunk.max(1));
    let base = Shared(data.as_mut_ptr());
    let base = &base;
    candle_core::utils::barrier_pool().execute_chunked(len.div_ceil(chunk), |tasks| {
        for t in tasks {
            let start = t * chunk;
            let n = chunk.min(len - start);
            // SAFETY: [start, start + n) lies in `data` and no other task has it.
            let piece = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), n) };
            f(t, piece);
        }
    });
}

use candle_core::{CpuStorage, Layout, Result, Storage};

/// The f32 elements of a contiguous CPU tensor's storage, borrowed.
pub fn cpu_f32<'a>(storage: &'a Storage, layout: &Layout) -> Result<&'a [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (Storage::Cpu(cpu), Some((start, end))) => Ok(&cpu.as_slice()?[start..end]),
        _ => candle_core::bail!("expected a contiguous f32 CPU tensor"),
    }
}

/// The f32 elements of a contiguous CPU tensor, for writing in place.
pub(crate) fn contiguous_f32<'a>(
    storage: &'a mut CpuStorage,
    layout: &Layout,
    op: &str,
) -> Result<&'a mut [f32]> {
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg(format!("{op} needs a contiguous tensor")))?;
    match storage {
        CpuStorage::F32(v) => Ok(&mut v[start..end]),
        _ => candle_core::bail!("{op} needs f32"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_is_visited_once_with_its_index() {
        let mut v = vec![0usize; 1003];
        for_each_chunk_mut(&mut v, 10, |t, c| {
            for x in c.iter_mut() {
                *x += t + 1;
            }
        });
        for (i, x) in v.iter().enumerate() {
            assert_eq!(*x, i / 10 + 1);
        }
    }
}
