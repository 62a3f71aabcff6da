//! The flat copy on disk, built so that opening it costs almost nothing: the small parts (ids,
//! upper layers) are read and checked, and the point blocks (vectors and layer-0 links, 99% of
//! the bytes) are memory-mapped in place, so a restart neither reads nor copies them. Pages come
//! in from the page cache as searches touch them.
//!
//! Layout (native byte order, recorded in the magic; a file from a machine of the other order is
//! refused and the caller rebuilds):
//!
//! ```text
//! header (64 bytes): magic (8) · dims u32 · stride u32 · points u64 · slot u32 · upper layers u32 · zeros
//! per upper layer: members u64 · links u64
//! per upper layer: offsets (members + 1) × u32 · neighbours links × u32
//! data ids: points × u64
//! CRC-32 of everything above: u32
//! zeros up to a multiple of 64 bytes
//! blocks: points × (slot + stride) × u32   (layer-0 links, then the vector's f16 bits)
//! ```
//!
//! The eagerly read part is fully checked (CRC, sizes, offsets, neighbour numbers). The mapped
//! blocks are not checked at open: the search reads them defensively instead (a link count is
//! capped to its slot, a neighbour outside the graph is skipped, only `dims` values of a row are
//! used), so a damaged block can misrank results but never make a search read out of bounds.
//! Files are written once under a fresh name and never changed in place (see
//! `webplus::index::persist`); truncating one under a running server is outside that contract
//! (the kernel would fault the mapping).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use bytemuck::Pod;

use super::{Blocks, Csr, Flat, ROW_ALIGN, vector_words};

#[cfg(target_endian = "little")]
const MAGIC: &[u8; 8] = b"WPFLATL4";
#[cfg(target_endian = "big")]
const MAGIC: &[u8; 8] = b"WPFLATB4";

const HEADER: usize = 64;
/// Blocks start at a multiple of this many bytes (a cache line; mappings are page aligned).
const BLOCK_ALIGN: u64 = 64;

/// Larger than any sane index (2^32 points would overflow our u32 point numbers anyway).
const MAX_POINTS: u64 = u32::MAX as u64;
const MAX_DIMS: u32 = 1 << 16;
const MAX_LAYERS: u32 = 64;

impl Flat {
    /// Writes the copy to `path` and syncs it to disk. Written beside it and renamed into place,
    /// so a copy still mapped from an older file of that name keeps its pages.
    pub(crate) fn write_file(&self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension("flat-tmp");
        self.write_new(&tmp)?;
        std::fs::rename(&tmp, path)
    }

    fn write_new(&self, path: &Path) -> io::Result<()> {
        let file = File::create(path)?;
        let mut out = Checked { inner: BufWriter::with_capacity(1 << 20, &file), crc: crc32fast::Hasher::new() };
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        let fields: [u32; 6] = [
            self.dims as u32,
            self.stride as u32,
            self.ids.len() as u32, // points, low half
            (self.ids.len() as u64 >> 32) as u32,
            self.slot as u32,
            self.upper.len() as u32,
        ];
        header[8..32].copy_from_slice(bytemuck::cast_slice(&fields));
        out.write_all(&header)?;
        for csr in &self.upper {
            out.put(&[(csr.offsets.len() - 1) as u64, csr.neighbours.len() as u64])?;
        }
        for csr in &self.upper {
            out.put(&csr.offsets)?;
            out.put(&csr.neighbours)?;
        }
        let ids: Vec<u64> = self.ids.iter().map(|&id| id as u64).collect();
        out.put(&ids)?;
        let written = HEADER as u64 + upper_bytes(&self.upper) + 8 * ids.len() as u64 + 4;
        let crc = out.crc.clone().finalize();
        out.inner.write_all(&crc.to_ne_bytes())?;
        out.inner.write_all(&vec![0u8; (padding(written)) as usize])?;
        out.inner.write_all(bytemuck::cast_slice(self.blocks()))?;
        out.inner.flush()?;
        drop(out);
        file.sync_all()
    }

    /// Opens a copy written by [`Flat::write_file`]: reads and checks the small parts, maps the
    /// blocks. `InvalidData` when the file is damaged, of another format, or inconsistent;
    /// `NotFound` when it is missing.
    pub(crate) fn read_file(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let mut input = Checked { inner: BufReader::with_capacity(1 << 16, &file), crc: crc32fast::Hasher::new() };
        let mut header = [0u8; HEADER];
        input.read_exact(&mut header)?;
        if &header[..8] != MAGIC {
            return Err(invalid("not a flat index file of this format and byte order"));
        }
        let fields: [u32; 6] = bytemuck::pod_read_unaligned(&header[8..32]);
        let [dims, stride, points_low, points_high, slot, upper_count] = fields;
        let points = u64::from(points_low) | u64::from(points_high) << 32;
        if dims == 0 || dims > MAX_DIMS || stride as usize != vector_words(dims as usize) {
            return Err(invalid("bad dimensions"));
        }
        let (slot, stride) = (slot as usize, stride as usize);
        if points == 0 || points > MAX_POINTS || upper_count >= MAX_LAYERS {
            return Err(invalid("bad point or layer count"));
        }
        if slot == 0 || slot % ROW_ALIGN != 0 || slot > 1 << 16 {
            return Err(invalid("bad link slot size"));
        }
        let mut shape = Vec::with_capacity(upper_count as usize);
        for _ in 0..upper_count {
            let [members, links] = input.get::<u64, 2>()?;
            shape.push((members, links));
        }
        // Each layer up holds a non-empty prefix of the one below.
        let mut below = points;
        for &(members, _) in &shape {
            if members == 0 || members > below {
                return Err(invalid("bad layer sizes"));
            }
            below = members;
        }
        let upper_links: u64 = shape.iter().map(|(m, l)| 4 * (m + 1 + l)).sum();
        let front = HEADER as u64 + 16 * u64::from(upper_count) + upper_links + 8 * points + 4;
        let blocks_at = front + padding(front);
        let block_bytes = 4 * points * (slot + stride) as u64;
        if size != blocks_at + block_bytes {
            return Err(invalid("file size does not match its header"));
        }
        let mut upper = Vec::with_capacity(shape.len());
        for &(members, links) in &shape {
            let mut csr = Csr { offsets: vec![0; members as usize + 1], neighbours: vec![0; links as usize] };
            input.fill(&mut csr.offsets)?;
            input.fill(&mut csr.neighbours)?;
            check_csr(&csr, members)?;
            upper.push(csr);
        }
        let mut ids = vec![0u64; points as usize];
        input.fill(&mut ids)?;
        let crc = input.crc.clone().finalize();
        let mut stored = [0u8; 4];
        input.inner.read_exact(&mut stored)?;
        if u32::from_ne_bytes(stored) != crc {
            return Err(invalid("checksum mismatch"));
        }
        let ids = ids.into_iter().map(|id| usize::try_from(id).map_err(|_| invalid("data id too large")));
        let ids = ids.collect::<io::Result<Vec<usize>>>()?;
        drop(input);
        // SAFETY: the file is ours, written once under a name no other file had and never changed
        // in place (new contents go to new files); see the module docs for the one exception.
        let map = unsafe { memmap2::MmapOptions::new().map(&file)? };
        let blocks = Blocks::mapped(map, blocks_at as usize, (points as usize) * (slot + stride))
            .ok_or_else(|| invalid("misaligned blocks"))?;
        Ok(Self { dims: dims as usize, stride, slot, blocks, ids, upper })
    }
}

fn upper_bytes(upper: &[Csr]) -> u64 {
    upper.iter().map(|c| 16 + 4 * (c.offsets.len() + c.neighbours.len()) as u64).sum()
}

/// Zero bytes that bring `len` up to a multiple of [`BLOCK_ALIGN`].
fn padding(len: u64) -> u64 {
    len.next_multiple_of(BLOCK_ALIGN) - len
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
