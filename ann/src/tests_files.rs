//! Saving and opening a graph: the flat copy is the whole file and answers searches at once, the
//! graph to insert into is made from it on the first insert, damage is refused.

use std::path::Path;

use crate::Graph;
use crate::tests::{PARAMS, clustered, graph_of, ids};

fn saved(n: usize) -> (tempfile::TempDir, Graph, Vec<Vec<f32>>) {
    let vectors = clustered(n, 32, 10, 21);
    let graph = graph_of(&vectors);
    let dir = tempfile::tempdir().unwrap();
    graph.save(dir.path(), "g").unwrap();
    (dir, graph, vectors)
}

fn file(dir: &Path, ext: &str) -> std::path::PathBuf {
    dir.join(format!("g.{ext}"))
}

#[test]
fn an_opened_graph_answers_like_the_saved_one_without_making_the_graph_for_inserts() {
    let (dir, graph, vectors) = saved(1_500);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["g.flat"], "the search copy is the whole graph");
    let opened = Graph::open(dir.path(), "g", PARAMS).unwrap();
    assert!(!opened.is_ready_for_inserts(), "only the flat copy was read");
    assert_eq!(opened.len(), 1_500);
    assert_eq!(opened.saved_at(), Some((dir.path().to_path_buf(), "g".to_owned())));
    for q in clustered(50, 32, 10, 22) {
        assert_eq!(opened.search(&q, 10, 40), graph.search(&q, 10, 40));
    }
    assert_eq!(ids(&opened, &vectors[7], 1, 16), [7]);
}

#[test]
fn the_first_insert_makes_the_graph_from_the_copy_and_later_copies_keep_every_point() {
    let (dir, _graph, vectors) = saved(1_000);
    let opened = Graph::open(dir.path(), "g", PARAMS).unwrap();
    let more = clustered(300, 32, 10, 23);
    opened.insert(&more[0], 1_000);
    assert!(opened.is_ready_for_inserts());
    assert_eq!(opened.saved_at(), None, "an insert makes the files out of date");
    opened.parallel_insert(more.iter().enumerate().skip(1).map(|(i, v)| (v.as_slice(), 1_000 + i)).collect());
    opened.refresh();
    assert_eq!((opened.flat_len(), opened.pending_len()), (1_300, 0));
    for (i, v) in vectors.iter().chain(&more).enumerate().step_by(37) {
        assert_eq!(ids(&opened, v, 1, 32), [i], "old and new points are in the new copy");
    }
}

#[test]
fn a_saved_then_reopened_graph_saves_again_under_a_new_name() {
    let (dir, _graph, vectors) = saved(600);
    let opened = Graph::open(dir.path(), "g", PARAMS).unwrap();
    opened.save(dir.path(), "h").unwrap();
    let again = Graph::open(dir.path(), "h", PARAMS).unwrap();
    assert_eq!(ids(&again, &vectors[5], 1, 16), [5]);
    assert_eq!(again.saved_at(), Some((dir.path().to_path_buf(), "h".to_owned())));
}

#[test]
fn a_damaged_front_or_truncated_copy_is_invalid_data_and_a_missing_one_not_found() {
    let (dir, _graph, _) = saved(500);
    let path = file(dir.path(), "flat");
    let good = std::fs::read(&path).unwrap();
    let kind = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        Graph::open(dir.path(), "g", PARAMS).err().map(|e| e.kind())
    };
    // Byte 80 is in the upper layers' table, which the CRC covers (the blocks come last).
    let mut flipped = good.clone();
    flipped[80] ^= 0x40;
    assert_eq!(kind(&flipped), Some(std::io::ErrorKind::InvalidData), "checksum");
    assert_eq!(kind(&good[..good.len() - 9]), Some(std::io::ErrorKind::InvalidData), "truncated");
    assert_eq!(kind(b"WPFLATL4"), Some(std::io::ErrorKind::InvalidData), "header only");
    let mut other = good.clone();
    other[..8].copy_from_slice(b"NOTFLAT!");
    assert_eq!(kind(&other), Some(std::io::ErrorKind::InvalidData), "magic");
    assert_eq!(kind(&good), None, "the original still opens");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(Graph::open(dir.path(), "g", PARAMS).err().map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
}

#[test]
fn garbage_in_the_mapped_blocks_never_makes_a_search_panic() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let (dir, _graph, vectors) = saved(500);
    let path = file(dir.path(), "flat");
    let mut bytes = std::fs::read(&path).unwrap();
    // 500 blocks of 256 bytes (a 48-slot link area, then 32 dims in f16) end the file; overwrite
    // most of them with random bytes: link counts past their slot, neighbours past the graph, NaNs.
    let mut rng = StdRng::seed_from_u64(25);
    let end = bytes.len();
    rng.fill(&mut bytes[end - 120_000..]);
    std::fs::write(&path, &bytes).unwrap();
    let opened = Graph::open(dir.path(), "g", PARAMS).expect("blocks are not checked at open");
    for q in vectors.iter().take(50) {
        let found = opened.search(q, 10, 64);
        assert!(found.len() <= 10 && found.iter().all(|n| n.d_id < 500));
    }
}

#[test]
fn an_empty_graph_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Graph::new(PARAMS, 10).save(dir.path(), "g").is_err());
}

#[test]
fn a_graph_opened_from_files_can_be_saved_over_them_after_inserts() {
    let (dir, _graph, vectors) = saved(600);
    let opened = Graph::open(dir.path(), "g", PARAMS).unwrap();
    let before = opened.search(&vectors[3], 5, 32); // searched through the mapped file
    let more = clustered(10, 32, 10, 26);
    more.iter().enumerate().for_each(|(i, v)| opened.insert(v, 600 + i));
    opened.save(dir.path(), "g").unwrap();
    assert_eq!(opened.search(&vectors[3], 5, 32), before);
    let again = Graph::open(dir.path(), "g", PARAMS).unwrap();
    assert_eq!(again.len(), 610);
    assert_eq!(ids(&again, &more[4], 1, 32), [604]);
}
