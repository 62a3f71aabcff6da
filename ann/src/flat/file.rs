//! The flat copy on disk: what a restart needs to answer searches, read straight into the arrays
//! the search uses (no parsing, no graph to rebuild), so opening 100k × 384-d takes one sequential
//! read instead of reloading hnsw_rs's graph and copying it.
//!
//! Layout (native byte order, recorded in the magic; a file from a machine of the other order is
//! refused and the caller rebuilds):
//!
//! ```text
//! magic (8) · dims u32 · stride u32 · points u64 · layers u32 · 0u32
//! per layer: members u64 · links u64
//! data ids: points × u64
//! rows:     points × stride × f32
//! per layer: offsets (members + 1) × u32 · neighbours links × u32
//! CRC-32 of everything before it: u32
//! ```
//!
//! Everything read is checked before it is used (sizes, offsets, neighbour numbers, the CRC), so
//! a damaged file is an `InvalidData` error, never an out-of-bounds search.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use bytemuck::Pod;

use super::{Csr, Flat, ROW_ALIGN};

#[cfg(target_endian = "little")]
const MAGIC: &[u8; 8] = b"WPFLATL1";
#[cfg(target_endian = "big")]
const MAGIC: &[u8; 8] = b"WPFLATB1";

/// Larger than any sane index (2^32 points would overflow our u32 point numbers anyway).
const MAX_POINTS: u64 = u32::MAX as u64;
const MAX_DIMS: u32 = 1 << 16;
const MAX_LAYERS: u32 = 64;

impl Flat {
    /// Writes the copy to `path` and syncs it to disk.
    pub(crate) fn write_file(&self, path: &Path) -> io::Result<()> {
        let file = File::create(path)?;
        let mut out = Checked { inner: BufWriter::with_capacity(1 << 20, &file), crc: crc32fast::Hasher::new() };
        out.write_all(MAGIC)?;
        out.put(&[self.dims as u32, self.stride as u32])?;
        out.put(&[self.ids.len() as u64])?;
        out.put(&[self.layers.len() as u32, 0])?;
        for csr in &self.layers {
            out.put(&[(csr.offsets.len() - 1) as u64, csr.neighbours.len() as u64])?;
        }
        let ids: Vec<u64> = self.ids.iter().map(|&id| id as u64).collect();
        out.put(&ids)?;
        out.put(self.rows())?;
        for csr in &self.layers {
            out.put(&csr.offsets)?;
            out.put(&csr.neighbours)?;
        }
        let crc = out.crc.clone().finalize();
        out.inner.write_all(&crc.to_ne_bytes())?;
        out.inner.flush()?;
        drop(out);
        file.sync_all()
    }

    /// Reads a copy written by [`Flat::write_file`]. `InvalidData` when the file is damaged, of
    /// another format, or inconsistent; `NotFound` when it is missing.
    pub(crate) fn read_file(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let mut input = Checked { inner: BufReader::with_capacity(1 << 16, file), crc: crc32fast::Hasher::new() };
        let mut magic = [0u8; 8];
        input.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(invalid("not a flat index file of this format and byte order"));
        }
        let [dims, stride] = input.get::<u32, 2>()?;
        let [points] = input.get::<u64, 1>()?;
        let [layer_count, _] = input.get::<u32, 2>()?;
        if dims == 0 || dims > MAX_DIMS || stride as usize != (dims as usize).div_ceil(ROW_ALIGN) * ROW_ALIGN {
            return Err(invalid("bad dimensions"));
        }
        if points == 0 || points > MAX_POINTS || layer_count == 0 || layer_count > MAX_LAYERS {
            return Err(invalid("bad point or layer count"));
        }
        let mut shape = Vec::with_capacity(layer_count as usize);
        for _ in 0..layer_count {
            let [members, links] = input.get::<u64, 2>()?;
            shape.push((members, links));
        }
        // Layer 0 holds every point; each layer up holds a non-empty prefix of the one below.
        let nested = shape.windows(2).all(|w| w[1].0 <= w[0].0) && shape.last().is_some_and(|l| l.0 > 0);
        if shape[0].0 != points || !nested {
            return Err(invalid("bad layer sizes"));
        }
        let rows_len = points * stride as u64;
        let links: u64 = shape.iter().map(|(m, l)| m + 1 + l).sum();
        let expected = 8 + 24 + 16 * layer_count as u64 + 8 * points + 4 * rows_len + 4 * links + 4;
        if size != expected {
            return Err(invalid("file size does not match its header"));
        }
        let mut ids = vec![0u64; points as usize];
        input.fill(&mut ids)?;
        let (mut storage, start) = aligned_storage(rows_len as usize);
        input.fill(&mut storage[start..start + rows_len as usize])?;
        let mut layers = Vec::with_capacity(shape.len());
        for &(members, links) in &shape {
            let mut csr = Csr { offsets: vec![0; members as usize + 1], neighbours: vec![0; links as usize] };
            input.fill(&mut csr.offsets)?;
            input.fill(&mut csr.neighbours)?;
            check_csr(&csr, members)?;
            layers.push(csr);
        }
        let crc = input.crc.clone().finalize();
        let mut stored = [0u8; 4];
        input.inner.read_exact(&mut stored)?;
        if u32::from_ne_bytes(stored) != crc {
            return Err(invalid("checksum mismatch"));
        }
        let ids = ids.into_iter().map(|id| usize::try_from(id).map_err(|_| invalid("data id too large")));
        let ids = ids.collect::<io::Result<Vec<usize>>>()?;
        Ok(Self { dims: dims as usize, stride: stride as usize, storage, start, ids, layers })
    }
}

/// A zeroed buffer with room for `len` floats starting at a 64-byte boundary: (buffer, start).
pub(super) fn aligned_storage(len: usize) -> (Vec<f32>, usize) {
    let storage = vec![0f32; len + ROW_ALIGN];
    let start = storage.as_ptr().align_offset(64).min(ROW_ALIGN);
    (storage, start)
}

/// Offsets start at 0, never decrease, end at the number of links; every neighbour is a member.
fn check_csr(csr: &Csr, members: u64) -> io::Result<()> {
    let ordered = csr.offsets.first() == Some(&0)
        && csr.offsets.windows(2).all(|w| w[0] <= w[1])
        && csr.offsets.last().map(|&l| l as usize) == Some(csr.neighbours.len());
    if !ordered {
        return Err(invalid("bad link offsets"));
    }
    if csr.neighbours.iter().any(|&n| u64::from(n) >= members) {
        return Err(invalid("link to a point outside its layer"));
    }
    Ok(())
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("flat index file: {what}"))
}

/// A reader or writer that keeps a CRC-32 of the bytes passing through.
struct Checked<T> {
    inner: T,
    crc: crc32fast::Hasher,
}

impl<W: Write> Checked<W> {
    fn put<T: Pod>(&mut self, values: &[T]) -> io::Result<()> {
        self.write_all(bytemuck::cast_slice(values))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.crc.update(bytes);
        self.inner.write_all(bytes)
    }
}

impl<R: Read> Checked<R> {
    fn get<T: Pod, const N: usize>(&mut self) -> io::Result<[T; N]> {
        let mut values = [T::zeroed(); N];
        self.fill(&mut values)?;
        Ok(values)
    }

    /// Reads straight into `values` (no intermediate buffer for large arrays).
    fn fill<T: Pod>(&mut self, values: &mut [T]) -> io::Result<()> {
        self.read_exact(bytemuck::cast_slice_mut(values))
    }

    fn read_exact(&mut self, bytes: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(bytes).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => invalid("file ends early"),
            _ => e,
        })?;
        self.crc.update(bytes);
        Ok(())
    }
}
