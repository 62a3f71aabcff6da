use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

const DIMS: usize = 384;

fn unit_vectors(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let v: Vec<f32> = (0..DIMS).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

/// Ids 1000.. so that row ids and entry numbers differ.
fn items(vectors: &[Vec<f32>]) -> Vec<(u64, Vec<f32>)> {
    vectors.iter().enumerate().map(|(i, v)| (1000 + i as u64, v.clone())).collect()
}

fn brute_force(items: &[(u64, Vec<f32>)], query: &[f32], k: usize) -> Vec<u64> {
    let mut scored: Vec<(u64, f32)> =
        items.iter().map(|(id, v)| (*id, v.iter().zip(query).map(|(a, b)| a * b).sum())).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().take(k).map(|(id, _)| id).collect()
}

fn recall(index: &VectorIndex, items: &[(u64, Vec<f32>)], queries: &[Vec<f32>], k: usize) -> f64 {
    let mut hits = 0;
    for q in queries {
        let truth = brute_force(items, q, k);
        let got: Vec<u64> = index.search(q, k).unwrap().into_iter().map(|(id, _)| id).collect();
        hits += got.iter().filter(|id| truth.contains(id)).count();
    }
    hits as f64 / (queries.len() * k) as f64
}

fn built(n: usize) -> (VectorIndex, Vec<(u64, Vec<f32>)>) {
    let items = items(&unit_vectors(n, 7));
    let index = VectorIndex::new(DIMS, IndexParams::default());
    index.insert_batch(&items).unwrap();
    (index, items)
}

#[test]
fn recall_at_10_on_2000_random_unit_vectors_is_at_least_95_percent() {
    let (index, items) = built(2_000);
    let r = recall(&index, &items, &unit_vectors(100, 99), 10);
    assert!(r >= 0.95, "recall@10 = {r}");
}

#[test]
fn vectors_are_normalised_so_scale_does_not_matter() {
    let (index, items) = built(100);
    let scaled: Vec<f32> = items[9].1.iter().map(|x| x * 40.0).collect();
    let found = index.search(&scaled, 1).unwrap();
    assert_eq!(found[0].0, items[9].0);
    assert!((found[0].1 - 1.0).abs() < 1e-4);
}

#[test]
fn results_are_sorted_by_similarity_and_a_stored_vector_finds_itself() {
    let (index, items) = built(300);
    let found = index.search(&items[42].1, 5).unwrap();
    assert_eq!(found[0].0, items[42].0);
    assert!((found[0].1 - 1.0).abs() < 1e-4, "self-similarity {}", found[0].1);
    assert!(found.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[test]
fn removed_ids_never_come_back_and_k_results_are_still_returned() {
    let (index, items) = built(500);
    let removed: Vec<u64> = items.iter().step_by(3).map(|(id, _)| *id).collect();
    for id in &removed {
        assert!(index.remove(*id));
    }
    assert!(!index.remove(removed[0]), "removing twice reports nothing removed");
    assert_eq!(index.tombstones(), removed.len());
    assert_eq!(index.live(), 500 - removed.len());
    assert!(index.needs_rebuild());
    for (id, v) in items.iter().take(50) {
        let found = index.search(v, 10).unwrap();
        assert_eq!(found.len(), 10);
        assert!(found.iter().all(|(f, _)| !removed.contains(f)), "a removed id came back");
        if !removed.contains(id) {
            assert_eq!(found[0].0, *id);
        }
    }
}

#[test]
fn a_search_asking_for_more_than_is_live_returns_every_live_id() {
    let (index, items) = built(100);
    for (id, _) in items.iter().skip(10) {
        index.remove(*id);
    }
    let found = index.search(&items[0].1, 50).unwrap();
    let mut ids: Vec<u64> = found.iter().map(|(id, _)| *id).collect();
    ids.sort();
    assert_eq!(ids, items.iter().take(10).map(|(id, _)| *id).collect::<Vec<_>>());
}

#[test]
fn a_reinserted_id_is_visible_again_with_its_new_vector() {
    let (index, items) = built(200);
    let (id, _) = items[5];
    index.remove(id);
    assert!(index.search(&items[5].1, 10).unwrap().iter().all(|(f, _)| *f != id));
    // Re-insert under the same id with another chunk's vector (an edited chunk).
    let new_vector = unit_vectors(1, 1234).remove(0);
    index.insert(id, &new_vector).unwrap();
    assert_eq!(index.search(&new_vector, 1).unwrap()[0].0, id);
    let near_old = index.search(&items[5].1, 10).unwrap();
    assert!(near_old.iter().all(|(f, s)| *f != id || *s < 0.5), "the old vector still answers for {id}");
    assert_eq!(index.live(), 200);
}

#[test]
fn rebuild_drops_tombstones_and_keeps_live_ids() {
    let (index, items) = built(200);
    for (id, _) in items.iter().take(100) {
        index.remove(*id);
    }
    assert!(index.needs_rebuild());
    index.rebuild_from(items[100..].iter().cloned()).unwrap();
    assert_eq!((index.len(), index.live(), index.tombstones()), (100, 100, 0));
    assert!(!index.needs_rebuild());
    assert_eq!(index.search(&items[150].1, 1).unwrap()[0].0, items[150].0);
}

#[test]
fn vectors_of_the_wrong_size_or_with_nan_are_rejected() {
    let index = VectorIndex::new(DIMS, IndexParams::default());
    assert!(index.insert(1, &[0.5; 3]).is_err());
    let mut nan = vec![0.0; DIMS];
    nan[0] = f32::NAN;
    assert!(index.insert(1, &nan).is_err());
    assert!(index.search(&nan, 3).is_err());
    assert!(index.insert(1, &[0.0; DIMS]).is_err(), "a zero vector has no direction");
    assert!(index.search(&vec![0.1; DIMS], 3).unwrap().is_empty());
}

const FP: Fingerprint = Fingerprint { count: 400, max_id: 1399, checksum: 42 };

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    files
}

/// The one file of `dir` whose name ends with `suffix` (e.g. the current generation's `.flat`).
fn file_ending(dir: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let found: Vec<String> = files_in(dir).into_iter().filter(|f| f.ends_with(suffix)).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    dir.join(&found[0])
}

#[test]
fn save_then_load_gives_identical_search_results() {
    let (index, items) = built(400);
    index.remove(items[3].0);
    let dir = tempfile::tempdir().unwrap();
    index.save(dir.path(), "kb-1", &FP).unwrap();
    let first = files_in(dir.path());
    assert_eq!(first.len(), 2, "the sidecar and the graph: {first:?}");
    let loaded = VectorIndex::load(dir.path(), "kb-1", &FP).unwrap().expect("loads");
    assert_eq!((loaded.len(), loaded.live(), loaded.dims()), (index.len(), index.live(), DIMS));
    for q in unit_vectors(20, 5).iter().chain(items.iter().take(5).map(|(_, v)| v)) {
        assert_eq!(loaded.search(q, 10).unwrap(), index.search(q, 10).unwrap());
    }
    // Only a removal since the load: the graph files stay, the sidecar records the tombstone.
    loaded.remove(items[4].0);
    loaded.save(dir.path(), "kb-1", &FP).unwrap();
    assert_eq!(files_in(dir.path()), first, "same generation");
    let reloaded = VectorIndex::load(dir.path(), "kb-1", &FP).unwrap().expect("loads");
    assert_eq!(reloaded.live(), 398);
    assert!(reloaded.search(&items[4].1, 5).unwrap().iter().all(|(id, _)| *id != items[4].0));
    // An insert: the graph to insert into is made from the copy, the next save writes a new
    // generation and deletes the old one.
    let extra = unit_vectors(1, 77).remove(0);
    reloaded.insert(9_999, &extra).unwrap();
    assert_eq!(reloaded.search(&extra, 1).unwrap()[0].0, 9_999);
    reloaded.save(dir.path(), "kb-1", &FP).unwrap();
    let second = files_in(dir.path());
    assert_eq!(second.len(), 2, "{second:?}");
    assert!(second.iter().all(|f| f == "kb-1.index.json" || !first.contains(f)), "old generation gone");
    let again = VectorIndex::load(dir.path(), "kb-1", &FP).unwrap().expect("loads again");
    assert_eq!(again.search(&extra, 1).unwrap()[0].0, 9_999);
    assert_eq!(again.live(), 399);
}

#[test]
fn an_empty_index_saves_and_loads() {
    let index = VectorIndex::new(DIMS, IndexParams::default());
    let dir = tempfile::tempdir().unwrap();
    index.save(dir.path(), "empty", &Fingerprint::default()).unwrap();
    assert_eq!(files_in(dir.path()), ["empty.index.json"]);
    let loaded = VectorIndex::load(dir.path(), "empty", &Fingerprint::default()).unwrap().expect("loads");
    assert!(loaded.is_empty());
    loaded.insert(1, &unit_vectors(1, 3)[0]).unwrap();
    assert_eq!(loaded.live(), 1);
}

#[test]
fn a_stale_fingerprint_or_a_missing_index_loads_as_none() {
    let (index, _) = built(100);
    let dir = tempfile::tempdir().unwrap();
    assert!(VectorIndex::load(dir.path(), "kb", &FP).unwrap().is_none());
    index.save(dir.path(), "kb", &FP).unwrap();
    let newer = Fingerprint { count: FP.count + 1, ..FP };
    assert!(VectorIndex::load(dir.path(), "kb", &newer).unwrap().is_none());
    assert!(VectorIndex::load(dir.path(), "kb", &FP).unwrap().is_some());
}

#[test]
fn a_damaged_search_copy_or_sidecar_loads_as_none_without_panicking() {
    let (index, _) = built(100);
    let dir = tempfile::tempdir().unwrap();
    let save = || index.save(dir.path(), "kb", &FP).unwrap();
    let load = || VectorIndex::load(dir.path(), "kb", &FP).unwrap();

    save();
    std::fs::remove_file(file_ending(dir.path(), ".flat")).unwrap();
    assert!(load().is_none(), "missing search copy");

    save();
    let flat = file_ending(dir.path(), ".flat");
    let mut bytes = std::fs::read(&flat).unwrap();
    bytes[80] ^= 0xff; // in the checksummed front part (the mapped blocks come last)
    std::fs::write(&flat, &bytes).unwrap();
    assert!(load().is_none(), "flipped byte in the search copy");

    save();
    let flat = file_ending(dir.path(), ".flat");
    let bytes = std::fs::read(&flat).unwrap();
    std::fs::write(&flat, &bytes[..bytes.len() / 3]).unwrap();
    assert!(load().is_none(), "truncated search copy");

    save();
    let sidecar = dir.path().join("kb.index.json");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();
    json["generation"] = "../../etc/passwd".into();
    std::fs::write(&sidecar, serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(load().is_none(), "a generation that is not ours");

    save();
    std::fs::write(&sidecar, b"{not json").unwrap();
    assert!(load().is_none(), "garbled sidecar");

    assert!(VectorIndex::load(dir.path(), "../escape", &FP).is_err(), "names cannot leave the dir");
}

#[test]
fn hnsw_rs_files_saved_beside_the_copy_by_older_versions_are_ignored_and_deleted_by_the_next_save() {
    let (index, items) = built(300);
    let dir = tempfile::tempdir().unwrap();
    index.save(dir.path(), "kb", &FP).unwrap();
    let flat = file_ending(dir.path(), ".flat");
    let generation = flat.file_name().unwrap().to_str().unwrap().trim_end_matches(".flat").to_owned();
    for ext in ["hnsw.graph", "hnsw.data"] {
        std::fs::write(dir.path().join(format!("{generation}.{ext}")), b"hnsw_rs's dump").unwrap();
    }
    let loaded = VectorIndex::load(dir.path(), "kb", &FP).unwrap().expect("the copy is the graph");
    assert_eq!(loaded.search(&items[9].1, 1).unwrap()[0].0, items[9].0);
    let extra = unit_vectors(1, 78).remove(0);
    loaded.insert(5_000, &extra).unwrap();
    assert_eq!(loaded.search(&extra, 1).unwrap()[0].0, 5_000);
    for (id, v) in items.iter().step_by(23) {
        assert_eq!(loaded.search(v, 1).unwrap()[0].0, *id, "old entries are in the graph inserted into");
    }
    // Unchanged graph, same generation: only the leftovers go.
    index.save(dir.path(), "kb", &FP).unwrap();
    assert_eq!(files_in(dir.path()), [format!("{generation}.flat"), "kb.index.json".to_owned()]);
}

#[test]
fn an_older_format_loads_as_none_and_the_next_save_removes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    for (file, bytes) in [
        ("kb.hnsw.graph", &b"old graph"[..]),
        ("kb.hnsw.data", b"old data"),
        ("kb.index.json", br#"{"format":1,"dims":8,"rows":[],"dead":[]}"#),
    ] {
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    assert!(VectorIndex::load(dir.path(), "kb", &FP).unwrap().is_none());
    let (index, _) = built(50);
    index.save(dir.path(), "kb", &FP).unwrap();
    let files = files_in(dir.path());
    assert!(!files.iter().any(|f| f.starts_with("kb.hnsw.")), "{files:?}");
    assert_eq!(files.len(), 2);
}

#[test]
fn delete_files_removes_one_index_and_leaves_others() {
    let (index, _) = built(50);
    let dir = tempfile::tempdir().unwrap();
    index.save(dir.path(), "kb-1", &FP).unwrap();
    index.save(dir.path(), "kb-10", &FP).unwrap();
    VectorIndex::delete_files(dir.path(), "kb-1");
    let files = files_in(dir.path());
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f.starts_with("kb-10.")), "{files:?}");
    assert!(VectorIndex::load(dir.path(), "kb-10", &FP).unwrap().is_some());
}

#[test]
fn searches_from_several_threads_run_while_inserting() {
    let (index, items) = built(500);
    let extra = items_from(unit_vectors(400, 11), 50_000);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for chunk in extra.chunks(20) {
                index.insert_batch(chunk).unwrap();
            }
            for (id, _) in extra.iter().take(100) {
                index.remove(*id);
            }
        });
        for t in 0..3 {
            let (index, items) = (&index, &items);
            s.spawn(move || {
                for (id, v) in items.iter().skip(t).step_by(7).take(60) {
                    let found = index.search(v, 10).unwrap();
                    assert_eq!(found.len(), 10);
                    assert_eq!(found[0].0, *id);
                }
            });
        }
        writer.join().unwrap();
    });
    assert_eq!(index.live(), 500 + 300);
    for (id, v) in extra.iter().skip(100).step_by(10) {
        assert_eq!(index.search(v, 1).unwrap()[0].0, *id);
    }
    for (id, v) in extra.iter().take(100).step_by(10) {
        assert!(index.search(v, 10).unwrap().iter().all(|(f, _)| f != id));
    }
}

fn items_from(vectors: Vec<Vec<f32>>, first_id: u64) -> Vec<(u64, Vec<f32>)> {
    vectors.into_iter().enumerate().map(|(i, v)| (first_id + i as u64, v)).collect()
}
