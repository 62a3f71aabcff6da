//! The flat search against brute force and itself across threads; copies and pending inserts.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{Graph, Params, dot};

pub(crate) const PARAMS: Params = Params { max_nb_connection: 16, max_layers: 16, ef_construction: 100 };

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn random_unit(rng: &mut StdRng, dims: usize) -> Vec<f32> {
    unit((0..dims).map(|_| rng.random_range(-1.0f32..1.0)).collect())
}

/// `n` vectors around `clusters` random centres (a stand-in for topics in embeddings).
pub(crate) fn clustered(n: usize, dims: usize, clusters: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..clusters).map(|_| random_unit(&mut rng, dims)).collect();
    (0..n)
        .map(|_| {
            let c = &centres[rng.random_range(0..clusters)];
            unit(c.iter().map(|x| x + rng.random_range(-0.12f32..0.12)).collect())
        })
        .collect()
}

pub(crate) fn graph_of(vectors: &[Vec<f32>]) -> Graph {
    let graph = Graph::new(PARAMS, vectors.len());
    graph.parallel_insert(vectors.iter().enumerate().map(|(i, v)| (v.as_slice(), i)).collect());
    graph.refresh();
    graph
}

fn brute_force(vectors: &[Vec<f32>], query: &[f32], k: usize) -> Vec<usize> {
    let mut scored: Vec<(usize, f32)> = vectors.iter().enumerate().map(|(i, v)| (i, dot(v, query))).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().take(k).map(|(i, _)| i).collect()
}

pub(crate) fn ids(graph: &Graph, query: &[f32], k: usize, ef: usize) -> Vec<usize> {
    graph.search(query, k, ef).into_iter().map(|n| n.d_id).collect()
}

#[test]
fn the_flat_search_returns_exactly_the_brute_force_top_k_when_ef_covers_every_point() {
    let mut rng = StdRng::seed_from_u64(1);
    let vectors: Vec<Vec<f32>> = (0..300).map(|_| random_unit(&mut rng, 48)).collect();
    let graph = graph_of(&vectors);
    assert_eq!((graph.flat_len(), graph.pending_len()), (300, 0), "searched through the copy");
    for _ in 0..30 {
        let q = random_unit(&mut rng, 48);
        let found = graph.search(&q, 10, 300);
        assert_eq!(found.iter().map(|n| n.d_id).collect::<Vec<_>>(), brute_force(&vectors, &q, 10));
        for n in &found {
            // The copy stores f16: about 1e-5 off the f32 distance at 48 dimensions.
            assert!((n.distance - (1.0 - dot(&vectors[n.d_id], &q))).abs() < 1e-4);
        }
    }
}

#[test]
fn recall_at_10_on_4000_clustered_vectors_is_at_least_95_percent() {
    let vectors = clustered(4_000, 96, 40, 2);
    let graph = graph_of(&vectors);
    let queries = clustered(200, 96, 40, 2);
    let hits: usize = queries
        .iter()
        .map(|q| {
            let truth = brute_force(&vectors, q, 10);
            ids(&graph, q, 10, 64).iter().filter(|i| truth.contains(i)).count()
        })
        .sum();
    let recall = hits as f64 / (queries.len() * 10) as f64;
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

#[test]
fn a_snapshot_taken_after_more_inserts_sees_the_new_ids() {
    let vectors = clustered(700, 32, 10, 3);
    let graph = graph_of(&vectors[..500]);
    for (i, v) in vectors.iter().enumerate().skip(500).take(100) {
        graph.insert(v, i);
    }
    assert_eq!((graph.flat_len(), graph.pending_len()), (500, 100), "below the threshold: pending");
    for (i, v) in vectors.iter().enumerate().skip(500).take(100) {
        assert_eq!(ids(&graph, v, 1, 32), [i], "pending vectors are found");
    }
    graph.parallel_insert(vectors.iter().enumerate().skip(600).map(|(i, v)| (v.as_slice(), i)).collect());
    graph.refresh();
    assert_eq!((graph.flat_len(), graph.pending_len()), (700, 0));
    for (i, v) in vectors.iter().enumerate().skip(500) {
        assert_eq!(ids(&graph, v, 1, 32), [i], "found through the new copy");
    }
}

#[test]
fn enough_pending_inserts_trigger_a_new_snapshot() {
    let vectors = clustered(400, 32, 10, 4);
    let graph = Graph::new(PARAMS, 400);
    for (i, v) in vectors.iter().enumerate() {
        graph.insert(v, i);
    }
    assert_eq!(graph.flat_len() + graph.pending_len(), 400);
    assert!(graph.flat_len() >= 256, "copied when pending reached the threshold");
}

#[test]
fn concurrent_searches_give_the_same_results_as_one_thread() {
    let vectors = clustered(2_000, 64, 20, 5);
    let graph = graph_of(&vectors);
    let queries = clustered(120, 64, 20, 6);
    let alone: Vec<Vec<usize>> = queries.iter().map(|q| ids(&graph, q, 10, 40)).collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (graph, queries, alone) = (&graph, &queries, &alone);
            s.spawn(move || {
                for (i, q) in queries.iter().enumerate().skip(t) {
                    assert_eq!(ids(graph, q, 10, 40), alone[i]);
                }
            });
        }
    });
}

#[test]
fn an_empty_graph_finds_nothing() {
    let graph = Graph::new(PARAMS, 10);
    assert!(graph.search(&[1.0, 0.0], 5, 10).is_empty());
}

/// The nice value of the calling thread.
#[cfg(target_os = "linux")]
fn thread_nice() -> i32 {
    // SAFETY: plain integer calls.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
}

#[cfg(target_os = "linux")]
#[test]
fn inserts_and_threads_started_at_background_priority_run_below_the_caller() {
    let caller = thread_nice();
    let expected = (caller + crate::BACKGROUND_NICE).min(19);
    let pool = crate::insert_pool().expect("the insert pool starts");
    assert_eq!(pool.install(thread_nice), expected, "the graph's insert threads");
    let (lowered, child) = std::thread::spawn(|| {
        crate::background_priority();
        (thread_nice(), std::thread::spawn(thread_nice).join().unwrap())
    })
    .join()
    .unwrap();
    assert_eq!((lowered, child), (expected, expected), "a lowered thread, and one it starts");
    assert_eq!(thread_nice(), caller, "the caller keeps its priority");
}
